import { rmSync } from 'node:fs';
import { ApiMetrics } from '../apps/api/src/metrics/api-metrics';
import { DriftMetrics } from '../apps/api/src/monitoring/drift-metrics';
import { checkWithPython, pointer } from './support/openapi-check';
import { metric, parseMetrics, scrapeMetrics } from './support/prometheus';
import { referenceDrift } from './support/drift-reference';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

// Drift and monitors over HTTP with a real server, DuckDB and Parquet: bars whose later period has
// five times the daily volatility; `ret` must drift past psiAlert while `vol` (volume, drawn the
// same way throughout) and `up` stay below. Every figure is compared with numpy/scipy reading the
// same Parquet files (test/support/drift_reference.py), and the monitor's stored evaluation with
// the gauges on /metrics.

const DAY = 86_400_000;
const FIRST = Date.parse('2024-01-01T00:00:00Z');
const SYMBOLS = Array.from({ length: 12 }, (_, i) => `DR${String(i).padStart(2, '0')}`);
const CALM_DAYS = 80;
const ALL_DAYS = 120;
const iso = (ms: number) => new Date(ms).toISOString();

// Seeded bars: daily returns N(0, 1%) before CALM_DAYS and N(0, 5%) after; volume uniform throughout.
function bars(): Array<Record<string, unknown>> {
  let x = 42;
  const uniform = () => ((x = (x * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
  const out: Array<Record<string, unknown>> = [];
  for (const symbol of SYMBOLS) {
    let close = 100;
    for (let d = 0; d < ALL_DAYS; d++) {
      const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      if (d > 0) close *= 1 + (d < CALM_DAYS ? 0.01 : 0.05) * z;
      const volume = Math.round(1000 + 1000 * uniform());
      out.push({ symbol, ts: iso(FIRST + d * DAY), open: close, high: close, low: close, close, volume });
    }
  }
  return out;
}

const VIEW = {
  name: 'dr_feat',
  entity: 'symbol',
  source: 'dr_bars',
  ttl: '3d',
  lookback: '5d',
  sql: `SELECT symbol, ts, close / lag(close) OVER w - 1 AS ret, CAST(volume AS DOUBLE) AS vol, close > lag(close) OVER w AS up
        FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
  features: [
    { name: 'ret', type: 'DOUBLE' },
    { name: 'vol', type: 'DOUBLE' },
    { name: 'up', type: 'BOOLEAN' },
  ],
};
const FEATURES = ['ret', 'vol', 'up'];

describe('drift and monitors over HTTP', () => {
  let api: TestApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
  const all = bars();
  let reference = '';
  let monitorId = '';

  async function materialize(): Promise<void> {
    const started = await call('POST', '/v1/feature-views/dr_feat/versions/1/materialize');
    expect([200, 202]).toContain(started.status);
    await expectEventually(async () => expect((await call('GET', `/v1/jobs/${started.body.jobId}`)).body.status).toBe('succeeded'), 60_000);
  }

  async function trainingSet(): Promise<string> {
    const entities = SYMBOLS.flatMap((symbol) => Array.from({ length: CALM_DAYS - 5 }, (_, i) => ({ symbol, ts: iso(FIRST + (i + 5) * DAY) })));
    const res = await call('POST', '/v1/training-sets', { features: FEATURES.map((f) => `dr_feat:${f}`), entities });
    expect(res.status).toBe(200);
    return res.body.trainingSetId as string;
  }

  // The API's drift answer against the Python reference over the same Parquet files.
  async function expectDriftMatchesReference(ref: string): Promise<Record<string, { psi: number; ks: number | null }>> {
    const res = await call('GET', `/v1/feature-views/dr_feat/versions/1/drift?reference=${ref}&window=30d`);
    expect(res.status).toBe(200);
    const manifest = (await call('GET', `/v1/training-sets/${ref}`)).body;
    const { files } = await api.store.offlineStore.files('dr_feat', 1);
    const file = `${api.dataDir}/training-sets/${ref}.parquet`;
    const want = referenceDrift(
      FEATURES.map((f) => ({ reference: file, column: `dr_feat__${f}`, offline: files, keys: ['symbol'], feature: f, windowSeconds: 30 * 86_400, categorical: f === 'up' })),
      1e-4,
    );
    expect(manifest.columns).toEqual(expect.arrayContaining(FEATURES.map((f) => `dr_feat__${f}`)));
    expect(res.body).toMatchObject({ view: 'dr_feat', version: 1, reference: ref, window: '30d' });
    expect(Date.parse(res.body.windowEnd)).toBe(Date.parse(want[0].windowEnd!));
    expect(Date.parse(res.body.windowStart)).toBe(Date.parse(want[0].windowStart!));
    const out: Record<string, { psi: number; ks: number | null }> = {};
    FEATURES.forEach((f, i) => {
      const got = res.body.features.find((x: { name: string }) => x.name === f);
      expect({ f, referenceCount: got.referenceCount, currentCount: got.currentCount }).toEqual({ f, referenceCount: want[i].referenceCount, currentCount: want[i].currentCount });
      expect(got.psi).toBeCloseTo(want[i].psi!, 9);
      if (f === 'up') expect(got.ks).toBeNull();
      else expect(got.ks).toBeCloseTo(want[i].ks!, 12);
      expect(got.referenceNullRate).toBeCloseTo(want[i].referenceNullRate!, 12);
      expect(got.currentNullRate).toBeCloseTo(want[i].currentNullRate!, 12);
      out[f] = { psi: got.psi, ks: got.ks };
    });
    return out;
  }

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '1', BOOTSTRAP_DAYS: '10' });
    const calm = all.filter((b) => Date.parse(b.ts as string) < FIRST + CALM_DAYS * DAY);
    expect((await call('POST', '/v1/datasets/dr_bars/rows', calm)).status).toBe(200);
    expect((await call('POST', '/v1/feature-views', VIEW)).status).toBe(201);
    await materialize();
    reference = await trainingSet();
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('answers drift as numpy/scipy compute it; the same distribution stays below the alert', async () => {
    const figures = await expectDriftMatchesReference(reference);
    for (const f of FEATURES) expect({ f, psi: figures[f].psi }).toEqual({ f, psi: expect.any(Number) });
    for (const f of FEATURES) expect(figures[f].psi).toBeLessThan(0.2);
  });

  it('registers a monitor, evaluated at once', async () => {
    const res = await call('POST', '/v1/monitors', { view: 'dr_feat', version: 1, reference, window: '30d' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ view: 'dr_feat', version: 1, reference, window: '30d', psiAlert: 0.2 });
    expect(res.body.last).toMatchObject({ alert: false });
    monitorId = res.body.id;
    expect((await call('GET', '/v1/monitors')).body.monitors.map((m: { id: string }) => m.id)).toContain(monitorId);
    expect(await metric(Number(new URL(api.base).port), 'feature_store_feature_drift_alert', { monitor: monitorId })).toBe(0);
  });

  it('after the volatile period is materialised, ret crosses psiAlert while vol and up stay below; the gauges follow', async () => {
    // A second monitor whose reference file goes missing: its evaluation fails, the materialisation does not.
    const doomed = await trainingSet();
    const second = await call('POST', '/v1/monitors', { view: 'dr_feat', version: 1, reference: doomed, window: '30d', psiAlert: 0.5 });
    expect(second.status).toBe(201);
    rmSync(`${api.dataDir}/training-sets/${doomed}.parquet`);
    const port = Number(new URL(api.base).port);
    const failuresBefore = await metric(port, 'feature_store_monitor_evaluation_failures_total');

    const volatile = all.filter((b) => Date.parse(b.ts as string) >= FIRST + CALM_DAYS * DAY);
    expect((await call('POST', '/v1/datasets/dr_bars/rows', volatile)).status).toBe(200);
    await materialize();
    // A correction inside the window: the revision's row must win over the one it revises.
    const fixed = { ...all.find((b) => b.symbol === 'DR03' && b.ts === iso(FIRST + 110 * DAY))! };
    for (const price of ['open', 'high', 'low', 'close']) fixed[price] = (fixed.close as number) * 3;
    expect((await call('POST', '/v1/datasets/dr_bars/rows', [fixed])).status).toBe(200);
    await materialize();
    const { hasRevisions } = await api.store.offlineStore.files('dr_feat', 1);
    expect(hasRevisions).toBe(true);

    const end = iso(FIRST + (ALL_DAYS - 1) * DAY);
    let last: { alert: boolean; windowEnd: string; features: Array<{ name: string; psi: number; ks: number | null; currentNullRate: number; alert: boolean }> } | null = null;
    const figures = await expectDriftMatchesReference(reference);
    // Evaluations run after the materialisation answered: wait for the one after the correction.
    await expectEventually(async () => {
      last = (await call('GET', `/v1/monitors/${monitorId}`)).body.last;
      expect(Date.parse(last!.windowEnd)).toBe(Date.parse(end));
      expect(last!.features.find((f) => f.name === 'ret')!.psi).toBeCloseTo(figures.ret.psi, 12);
      expect(await metric(port, 'feature_store_monitor_evaluation_failures_total')).toBeGreaterThan(failuresBefore);
    }, 30_000);
    const byName = Object.fromEntries(last!.features.map((f) => [f.name, f]));
    for (const f of FEATURES) {
      expect(byName[f].psi).toBeCloseTo(figures[f].psi, 12);
      expect(byName[f].alert).toBe(figures[f].psi >= 0.2);
    }
    expect(figures.ret.psi).toBeGreaterThan(0.2);
    expect(figures.vol.psi).toBeLessThan(0.2);
    expect(figures.up.psi).toBeLessThan(0.2);
    expect(last!.alert).toBe(true);

    const samples = await scrapeMetrics(port);
    const gauge = (name: string, feature?: string) =>
      samples.filter((s) => s.name === name && s.labels.monitor === monitorId && s.labels.view === 'dr_feat' && s.labels.version === '1' && (feature === undefined || s.labels.feature === feature));
    for (const f of FEATURES) {
      expect(gauge('feature_store_feature_drift_psi', f)[0].value).toBeCloseTo(byName[f].psi, 9);
      expect(gauge('feature_store_feature_null_rate', f)[0].value).toBeCloseTo(byName[f].currentNullRate, 9);
    }
    expect(gauge('feature_store_feature_drift_ks', 'ret')[0].value).toBeCloseTo(byName.ret.ks!, 9);
    expect(gauge('feature_store_feature_drift_ks', 'up')).toHaveLength(0);
    expect(gauge('feature_store_feature_drift_alert')[0].value).toBe(1);
    // The failed monitor keeps its first evaluation.
    expect((await call('GET', `/v1/monitors/${second.body.id}`)).body.last.windowEnd).not.toBe(last!.windowEnd);
  }, 120_000);

  it('refuses bad drift and monitor requests with a 4xx naming the field', async () => {
    expect((await call('POST', '/v1/feature-views', { ...VIEW, name: 'dr_other' })).status).toBe(201);
    const drift = (path: string) => call('GET', path);
    const cases: Array<[string, number, string]> = [
      [`/v1/feature-views/dr_nope/versions/1/drift?reference=${reference}&window=30d`, 404, 'name'],
      [`/v1/feature-views/dr_feat/versions/9/drift?reference=${reference}&window=30d`, 404, 'version'],
      ['/v1/feature-views/dr_feat/versions/1/drift?reference=tset-nope&window=30d', 404, 'reference'],
      [`/v1/feature-views/dr_other/versions/1/drift?reference=${reference}&window=30d`, 422, 'reference'],
      [`/v1/feature-views/dr_feat/versions/1/drift?reference=${reference}&window=30x`, 400, 'window'],
      [`/v1/feature-views/dr_feat/versions/1/drift?reference=${reference}&window=0d`, 400, 'window'],
      [`/v1/feature-views/dr_feat/versions/1/drift?reference=${reference}`, 400, 'window'],
      ['/v1/feature-views/dr_feat/versions/1/drift?window=30d', 400, 'reference'],
    ];
    for (const [path, status, field] of cases) {
      const res = await drift(path);
      expect({ path, status: res.status, field: res.body.error?.details?.field }).toEqual({ path, status, field });
    }
    const body = { view: 'dr_feat', version: 1, reference, window: '30d' };
    for (const [patch, status, field] of [
      [{ view: 'dr_nope' }, 404, 'name'],
      [{ reference: 'tset-nope' }, 404, 'reference'],
      [{ window: '3 days' }, 400, 'window'],
      [{ psiAlert: -1 }, 400, 'psiAlert'],
      [{ version: 'one' }, 400, 'version'],
    ] as const) {
      const res = await call('POST', '/v1/monitors', { ...body, ...patch });
      expect({ patch, status: res.status, field: res.body.error?.details?.field }).toEqual({ patch, status, field });
    }
  });

  it('a fresh metrics registry (as after a restart) exports the stored evaluations before any new one', async () => {
    const fresh = new ApiMetrics();
    new DriftMetrics(api.store.monitors, fresh); // registers its gauges on `fresh`
    const samples = parseMetrics(await fresh.registry.metrics());
    const stored = (await call('GET', `/v1/monitors/${monitorId}`)).body.last;
    for (const f of stored.features as Array<{ name: string; psi: number }>) {
      const [psi] = samples.filter((x) => x.name === 'feature_store_feature_drift_psi' && x.labels.monitor === monitorId && x.labels.feature === f.name);
      expect(psi.value).toBeCloseTo(f.psi, 9);
    }
    expect(samples.find((x) => x.name === 'feature_store_feature_drift_alert' && x.labels.monitor === monitorId)?.value).toBe(stored.alert ? 1 : 0);
  });

  it('answers as GET /openapi.json documents (jsonschema in Python)', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    const ok = (path: string, method: string, status: number) => pointer('paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema');
    const checks = [
      { pointer: ok('/v1/feature-views/{name}/versions/{version}/drift', 'get', 200), instance: (await call('GET', `/v1/feature-views/dr_feat/versions/1/drift?reference=${reference}&window=30d`)).body },
      { pointer: ok('/v1/monitors', 'get', 200), instance: (await call('GET', '/v1/monitors')).body },
      { pointer: ok('/v1/monitors/{id}', 'get', 200), instance: (await call('GET', `/v1/monitors/${monitorId}`)).body },
    ];
    const { results } = checkWithPython(doc, checks);
    expect(results).toEqual(checks.map(() => ({ valid: true, errors: [] })));
    // The check can fail: a monitor without its id is refused.
    const { id: _id, ...noId } = checks[2].instance;
    expect(checkWithPython(doc, [{ pointer: checks[2].pointer, instance: noId }]).results[0].valid).toBe(false);
  });

  it('deletes a monitor: gone from the list and from /metrics', async () => {
    expect((await api.app.inject({ method: 'DELETE', url: `/v1/monitors/${monitorId}` })).statusCode).toBe(204);
    expect((await call('GET', `/v1/monitors/${monitorId}`)).status).toBe(404);
    expect((await api.app.inject({ method: 'DELETE', url: `/v1/monitors/${monitorId}` })).statusCode).toBe(404);
    const samples = await scrapeMetrics(Number(new URL(api.base).port));
    expect(samples.filter((s) => s.labels.monitor === monitorId)).toHaveLength(0);
  });
});
