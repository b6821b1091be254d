import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApi } from '../apps/api/src/server';
import type { FeatureStore } from '@app/features';
import { ROOT, tempDataDir, testConfig } from './support/helpers';
import { LossyProxy } from './support/lossy-proxy';
import { MlflowServer } from './support/mlflow.server';
import { freePort } from './support/ports';
import { scrapeMetrics } from './support/prometheus';
import { expectEventually } from './support/wait';

const run = promisify(execFile);

// MLflow's own reading of a run's dataset input, as a user would do it: the source through
// mlflow.data.get_source() (and downloaded by it), the logged schema parsed by mlflow.types, and
// as the reference the schema MLflow itself infers for the set's rows read with pyarrow.
const MLFLOW_READS_INPUT = `
import json, sys, mlflow, mlflow.data, pandas as pd, pyarrow as pa, requests
from mlflow.types import Schema
tracking_uri, run_id = sys.argv[1], sys.argv[2]
(dataset_input,) = mlflow.MlflowClient(tracking_uri).get_run(run_id).inputs.dataset_inputs
source = mlflow.data.get_source(dataset_input)
logged = Schema.from_json(json.dumps(json.loads(dataset_input.dataset.schema)["mlflow_colspec"]))
answer = requests.get(source.url, headers={"Accept": "application/vnd.apache.arrow.stream"})
answer.raise_for_status()
rows = pa.ipc.open_stream(answer.content).read_all().to_pandas(types_mapper=pd.ArrowDtype)
inferred = mlflow.data.from_pandas(rows).schema
with open(source.load()) as f:
    downloaded = json.load(f)
print(json.dumps({
    "source": type(source).__name__, "url": source.url,
    "logged": [[c["name"], c["type"]] for c in logged.to_dict()],
    "inferred": [[c["name"], c["type"]] for c in inferred.to_dict()],
    "downloaded": downloaded["trainingSetId"],
}))
`;

describe('lineage logged to a real MLflow tracking server', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let mlflow: MlflowServer;
  // Between the API and MLflow: it records the API's calls and can lose an answer.
  let proxy: LossyProxy;
  let app: NestFastifyApplication;
  let store: FeatureStore;
  let base: string;
  let port: number;

  beforeAll(async () => {
    tmp = tempDataDir();
    mlflow = new MlflowServer(tmp.dir);
    proxy = new LossyProxy(await mlflow.start());
    port = await freePort();
    ({ app, store } = await createApi(
      testConfig(tmp.dir, {
        BOOTSTRAP: 'true',
        BOOTSTRAP_SYMBOLS: '0',
        SAMPLES_DIR: join(ROOT, 'data', 'samples'),
        MLFLOW_TRACKING_URI: await proxy.start(),
        LINEAGE_RETRY_SECONDS: '1',
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      }),
    ));
    await app.listen(port, '127.0.0.1');
    base = await app.getUrl();
  }, 180_000);
  afterAll(async () => {
    await app.close();
    await proxy.stop();
    await mlflow.stop();
    tmp.cleanup();
  });
  afterEach(() => jest.restoreAllMocks());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const getRun = async (runId: string) => {
    const res = await fetch(`${base}/v1/runs/${runId}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const deliveries = async () => {
    const samples = await scrapeMetrics(port);
    const count = (outcome: string) => samples.find((s) => s.name === 'feature_store_mlflow_deliveries_total' && s.labels.outcome === outcome)?.value ?? NaN;
    return { logged: count('logged'), failed: count('failed'), retried: count('retried'), pending: samples.find((s) => s.name === 'feature_store_mlflow_pending')?.value ?? NaN };
  };
  const LOG_INPUTS = '/api/2.0/mlflow/runs/log-inputs';
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
    // The column profiles are those of GET /v1/training-sets/{id}/stats.
    const stats = (await (await fetch(`${base}/v1/training-sets/${set.body.trainingSetId}/stats`)).json()) as { columns: Array<{ name: string; count: number; nulls: number; mean: number | null }> };
    const profiled = JSON.parse(inputs[0].dataset.profile).columns as Array<{ name: string; count: number; nulls: number; mean?: number }>;
    expect(profiled.map((c) => [c.name, c.count, c.nulls, c.mean ?? null])).toEqual(stats.columns.map((c) => [c.name, c.count, c.nulls, c.mean]));
    expect((await getRun(runId)).body.mlflow).toEqual({ status: 'logged', error: null, links: [{ trainingSetId: set.body.trainingSetId, status: 'logged', attempts: 1, error: null }] });
  });

  it('logs the column types and an HTTP source that mlflow.data.get_source() reads', async () => {
    const runId = await mlflow.createRun();
    const set = await post('/v1/training-sets', {
      features: ['returns:ret_1d', 'updown:going_up', 'updown:prev_1d'],
      entities: [
        { symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z', label: 1, weight: 0.5, note: 'a' },
        { symbol: 'BTC-USD', ts: '2021-06-01T00:00:00Z', label: 0, weight: 1.5, note: 'b' },
      ],
      runId,
    });
    expect(set.status).toBe(200);
    const { stdout } = await run('python3', ['-c', MLFLOW_READS_INPUT, mlflow.url, runId], { timeout: 120_000 });
    const read = JSON.parse(stdout.trim().split('\n').pop()!) as { source: string; url: string; logged: string[][]; inferred: string[][]; downloaded: string };
    expect(read.source).toBe('HTTPDatasetSource');
    expect(read.url).toBe(`${base}/v1/training-sets/${set.body.trainingSetId}/data`);
    expect(read.downloaded).toBe(set.body.trainingSetId);
    expect(read.logged).toEqual(read.inferred);
    // Every kind of column is in the set, so a schema of one type for all cannot pass.
    expect(new Set(read.logged.map(([, type]) => type))).toEqual(new Set(['string', 'datetime', 'long', 'double', 'boolean']));
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
    expect((await getRun(runId)).body.mlflow).toMatchObject({ status: 'pending', error: expect.any(String) });
    expect((await deliveries()).pending).toBe(1);
    await mlflow.start();
    await expectEventually(async () => {
      const inputs = await mlflow.datasetInputs(runId);
      expect(inputs.map((i) => i.dataset.name)).toEqual([`training-set-${set.body.trainingSetId}`]);
    }, 30_000, 500);
    await expectEventually(async () => expect(await store.registry.runs.listOutbox()).toEqual([]), 10_000, 200);
    expect((await getRun(runId)).body.mlflow).toMatchObject({ status: 'logged', error: null });
    expect((await deliveries()).pending).toBe(0);
  });

  it('settles a run MLflow does not know as failed: reported once, kept, never retried', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const before = await deliveries();
    const runId = 'no-such-mlflow-run';
    const set = await post('/v1/training-sets', { ...request, runId });
    expect(set.status).toBe(200);
    // Retries come from the outbox only, and the link has left it: ticks send nothing.
    expect(await store.registry.runs.listOutbox()).toEqual([]);
    await store.lineageRelay!.tick();
    expect(proxy.requestsFor(LOG_INPUTS, runId)).toHaveLength(1);
    const answer = await getRun(runId);
    expect(answer.status).toBe(200);
    expect(answer.body.trainingSets).toEqual([set.body.trainingSetId]);
    expect(answer.body.mlflow).toEqual({
      status: 'failed',
      error: expect.stringContaining('404 RESOURCE_DOES_NOT_EXIST'),
      links: [{ trainingSetId: set.body.trainingSetId, status: 'failed', attempts: 1, error: expect.stringContaining(runId) }],
    });
    expect(warn.mock.calls.filter(([message]) => String(message).includes(runId))).toHaveLength(1);
    const after = await deliveries();
    expect([after.failed - before.failed, after.retried - before.retried, after.logged - before.logged, after.pending]).toEqual([1, 0, 0, 0]);
  });

  it('counts an input MLflow stored while its answer was lost as logged, without sending it again', async () => {
    const before = await deliveries();
    const runId = await mlflow.createRun();
    const set = await post('/v1/training-sets', request);
    proxy.dropNextAnswer(LOG_INPUTS);
    expect((await post('/v1/runs', { runId, trainingSetIds: [set.body.trainingSetId], system: 'mlflow' })).status).toBe(200);
    // MLflow holds the input; the API saw a closed connection and keeps the link queued.
    expect((await mlflow.datasetInputs(runId)).map((i) => i.dataset.name)).toEqual([`training-set-${set.body.trainingSetId}`]);
    expect(await store.registry.runs.listOutbox()).toEqual([expect.objectContaining({ runId, attempts: 1 })]);
    await expectEventually(async () => expect(await store.registry.runs.listOutbox()).toEqual([]), 30_000, 200);
    expect(proxy.requestsFor(LOG_INPUTS, runId)).toHaveLength(1);
    expect(proxy.requestsFor('/api/2.0/mlflow/runs/get', runId)).toHaveLength(1);
    expect((await mlflow.datasetInputs(runId)).map((i) => i.dataset.name)).toEqual([`training-set-${set.body.trainingSetId}`]);
    expect((await getRun(runId)).body.mlflow).toEqual({ status: 'logged', error: null, links: [{ trainingSetId: set.body.trainingSetId, status: 'logged', attempts: 2, error: null }] });
    const after = await deliveries();
    expect([after.logged - before.logged, after.retried - before.retried, after.failed - before.failed, after.pending]).toEqual([1, 1, 0, 0]);
  });
});
