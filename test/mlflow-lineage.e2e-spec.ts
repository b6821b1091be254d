import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApi } from '../apps/api/src/server';
import type { FeatureStore } from '@app/features';
import { ROOT, tempDataDir, testConfig } from './support/helpers';
import { MlflowServer } from './support/mlflow.server';
import { expectEventually } from './support/wait';

describe('lineage logged to a real MLflow tracking server', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let mlflow: MlflowServer;
  let app: NestFastifyApplication;
  let store: FeatureStore;
  let base: string;

  beforeAll(async () => {
    tmp = tempDataDir();
    mlflow = new MlflowServer(tmp.dir);
    const trackingUri = await mlflow.start();
    ({ app, store } = await createApi(
      testConfig(tmp.dir, { BOOTSTRAP: 'true', BOOTSTRAP_SYMBOLS: '0', SAMPLES_DIR: join(ROOT, 'data', 'samples'), MLFLOW_TRACKING_URI: trackingUri, LINEAGE_RETRY_SECONDS: '1' }),
    ));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  }, 180_000);
  afterAll(async () => {
    await app.close();
    await mlflow.stop();
    tmp.cleanup();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const request = { features: ['returns:ret_1d', 'trend:rsi_14'], entities: [{ symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z', label: 1 }] };

  it('logs a retrieval with a runId as a dataset input of that MLflow run', async () => {
    const runId = await mlflow.createRun();
    const set = await post('/v1/training-sets', { ...request, runId });
    expect(set.status).toBe(200);
    const inputs = await mlflow.datasetInputs(runId);
    expect(inputs).toHaveLength(1);
    expect(inputs[0].tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
    expect(inputs[0].dataset).toMatchObject({ name: `training-set-${set.body.trainingSetId}`, digest: set.body.digest.slice(0, 36), source_type: 'http' });
    expect(JSON.parse(inputs[0].dataset.source)).toMatchObject({ digest: set.body.digest });
    expect(JSON.parse(inputs[0].dataset.profile)).toMatchObject({ num_rows: 1, features: ['returns@1:ret_1d', 'trend@1:rsi_14'] });
  });

  it('keeps the link when MLflow is down and logs it once MLflow is back', async () => {
    const runId = await mlflow.createRun();
    const set = await post('/v1/training-sets', request);
    await mlflow.stop();
    const linked = await post('/v1/runs', { runId, trainingSetIds: [set.body.trainingSetId], system: 'mlflow' });
    expect(linked.status).toBe(200);
    expect(((await (await fetch(`${base}/v1/runs/${runId}`)).json()) as { trainingSets: string[] }).trainingSets).toEqual([set.body.trainingSetId]);
    const pending = await store.registry.runs.listOutbox();
    expect(pending).toEqual([expect.objectContaining({ runId, trainingSetId: set.body.trainingSetId, attempts: 1, lastError: expect.any(String) })]);
    await mlflow.start();
    await expectEventually(async () => {
      const inputs = await mlflow.datasetInputs(runId);
      expect(inputs.map((i) => i.dataset.name)).toEqual([`training-set-${set.body.trainingSetId}`]);
    }, 30_000, 500);
    expect(await store.registry.runs.listOutbox()).toEqual([]);
  });
});
