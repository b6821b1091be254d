import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import { LinkRefusedError } from './lineage.sink';
import { MlflowHttpError, type MlflowClient, type MlflowDatasetInput } from './mlflow.client';
import { MlflowLineageSink } from './mlflow-lineage.sink';

const manifest: TrainingSetManifest = {
  id: 'tset-1',
  digest: 'd'.repeat(64),
  entityDigest: 'e'.repeat(64),
  rowCount: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  pointInTime: 'event',
  timestampColumn: 'ts',
  features: [],
  columns: ['symbol'],
  file: '/tmp/tset-1.parquet',
};
const columns = [{ name: 'symbol', type: 'VARCHAR' }];

// MLflow 3.17's answer when two log-inputs of one dataset run at once (seen on a real server).
const UNIQUE = new MlflowHttpError(
  400,
  'BAD_REQUEST',
  'MLflow answered 400 BAD_REQUEST to runs/log-inputs for run r1: (sqlite3.IntegrityError) UNIQUE constraint failed: datasets.experiment_id, datasets.name, datasets.digest',
);

/** An MLflow run in memory: log-inputs adds, or throws `failWith` (after storing when `storeFirst`). */
class FakeMlflow implements Pick<MlflowClient, 'logInputs' | 'datasetInputs'> {
  inputs: MlflowDatasetInput[] = [];
  logCalls = 0;
  failWith: Error | null = null;
  storeFirst = false;
  getFails: Error | null = null;

  async logInputs(_runId: string, datasets: ReadonlyArray<MlflowDatasetInput>): Promise<void> {
    this.logCalls++;
    if (this.failWith && !this.storeFirst) throw this.failWith;
    this.inputs.push(...datasets);
    if (this.failWith) throw this.failWith;
  }

  async datasetInputs(): Promise<MlflowDatasetInput[]> {
    if (this.getFails) throw this.getFails;
    return this.inputs;
  }
}

describe('MlflowLineageSink', () => {
  let mlflow: FakeMlflow;
  let sink: MlflowLineageSink;
  beforeEach(() => {
    mlflow = new FakeMlflow();
    sink = new MlflowLineageSink(mlflow);
  });
  const log = (retry: boolean) => sink.logTrainingSet('r1', manifest, columns, 'http://h', retry);

  it('logs the input with the training context tag', async () => {
    await expect(log(false)).resolves.toBe('logged');
    expect(mlflow.inputs).toEqual([{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: expect.objectContaining({ name: 'training-set-tset-1' }) }]);
  });

  it('on a retry, finds an input an earlier attempt stored and sends nothing', async () => {
    await log(false);
    await expect(log(true)).resolves.toBe('already-logged');
    expect(mlflow.logCalls).toBe(1);
  });

  it('does not take another training set (or another digest) for this one', async () => {
    mlflow.inputs = [{ dataset: { name: 'training-set-tset-1', digest: 'x'.repeat(36), source_type: 'http', source: '{}' } }];
    await expect(log(true)).resolves.toBe('logged');
    expect(mlflow.logCalls).toBe(1);
  });

  it('counts a UNIQUE conflict as logged when the run holds the input', async () => {
    mlflow.failWith = UNIQUE;
    mlflow.storeFirst = true;
    await expect(log(false)).resolves.toBe('already-logged');
  });

  it('retries a UNIQUE conflict when the run does not hold the input (another run inserted the dataset)', async () => {
    mlflow.failWith = UNIQUE;
    const error = await log(false).catch((e: unknown) => e);
    expect(error).toBe(UNIQUE);
    expect(error).not.toBeInstanceOf(LinkRefusedError);
  });

  it.each([404, 400, 403])('refuses for good on a %i', async (status) => {
    mlflow.failWith = new MlflowHttpError(status, 'RESOURCE_DOES_NOT_EXIST', `MLflow answered ${status}`);
    await expect(log(false)).rejects.toBeInstanceOf(LinkRefusedError);
  });

  it('refuses for good when the retry check finds no such run', async () => {
    mlflow.getFails = new MlflowHttpError(404, 'RESOURCE_DOES_NOT_EXIST', 'MLflow answered 404');
    await expect(log(true)).rejects.toBeInstanceOf(LinkRefusedError);
    expect(mlflow.logCalls).toBe(0);
  });

  it.each([
    ['a 500', new MlflowHttpError(500, 'INTERNAL_ERROR', 'MLflow answered 500')],
    ['a 503', new MlflowHttpError(503, '', 'MLflow answered 503')],
    ['a 429', new MlflowHttpError(429, 'REQUEST_LIMIT_EXCEEDED', 'MLflow answered 429')],
    ['a 408', new MlflowHttpError(408, '', 'MLflow answered 408')],
    ['a network failure', new TypeError('fetch failed')],
  ])('leaves %s to be retried', async (_what, failure) => {
    mlflow.failWith = failure;
    const error = await log(false).catch((e: unknown) => e);
    expect(error).toBe(failure);
  });
});
