import { lakeRows } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

const DAY = 86_400_000;
const TTL_MS = 3 * DAY; // the catalog's `returns` view

interface Bar {
  readonly ts: number;
  readonly close: number;
}

/**
 * Brute force from the lake's bars, not from the offline store: a version's `ret_1d` for an entity
 * row at t is computed on the newest bar with t - ttl <= ts <= t, as close over the close `lag`
 * bars earlier, minus 1 (version 1 of the catalog: lag 1; the version 2 made here: lag 2).
 */
function referenceRet(bars: readonly Bar[], t: number, lag: number): number | null {
  let i = -1;
  for (let k = 0; k < bars.length; k++) if (bars[k].ts <= t) i = k;
  if (i < 0 || bars[i].ts < t - TTL_MS || i < lag) return null;
  return bars[i].close / bars[i - lag].close - 1;
}

/** Each symbol's bars, sorted, the latest ingested row winning per (symbol, ts). */
async function barsBySymbol(dataDir: string): Promise<Map<string, Bar[]>> {
  const latest = new Map<string, { symbol: string; ts: number; close: number }>();
  for (const row of await lakeRows(dataDir, 'bars_1d')) {
    const ts = Date.parse(String(row.ts));
    latest.set(`${String(row.symbol)}|${ts}`, { symbol: String(row.symbol), ts, close: Number(row.close) });
  }
  const out = new Map<string, Bar[]>();
  for (const bar of latest.values()) out.set(bar.symbol, [...(out.get(bar.symbol) ?? []), { ts: bar.ts, close: bar.close }]);
  for (const bars of out.values()) bars.sort((a, b) => a.ts - b.ts);
  return out;
}

const close = (actual: unknown, expected: number | null) => (expected === null ? actual === null : typeof actual === 'number' && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)));

describe('two versions of one feature in one request', () => {
  let api: TestApi;
  let bars: Map<string, Bar[]>;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
  const FEATURES = ['returns@1:ret_1d', 'returns@2:ret_1d', 'returns:ret_5d'];

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '30' });
    const v1 = (await call('GET', '/v1/feature-views/returns/versions/1')).body.definition;
    const sql = String(v1.sql).replace(/lag\(close, 1\) OVER w - 1 AS ret_1d/, 'lag(close, 2) OVER w - 1 AS ret_1d');
    expect(sql).not.toBe(v1.sql);
    const v2 = await call('POST', '/v1/feature-views', { ...v1, sql });
    expect(v2.body).toMatchObject({ version: 2, change: 'new-version', changed: ['sql'] });
    const job = await call('POST', '/v1/feature-views/returns/versions/2/materialize', {});
    await expectEventually(async () => expect((await call('GET', `/v1/jobs/${job.body.jobId}`)).body.status).toBe('succeeded'));
    bars = await barsBySymbol(api.dataDir);
  });
  afterAll(() => api.stop());

  it('training sets: each version its own column, named by version only where ambiguous, with each version\'s values', async () => {
    const syn = bars.get('SYN0001')!;
    const entities = [
      ...syn.slice(0, 6).map((b) => ({ symbol: 'SYN0001', ts: new Date(b.ts + 3_600_000).toISOString() })),
      { symbol: 'SYN0002', ts: new Date(bars.get('SYN0002')!.at(-1)!.ts).toISOString() },
      { symbol: 'SYN0001', ts: new Date(syn[0].ts - DAY).toISOString() }, // before any bar
      { symbol: 'BTC-USD', ts: '2021-04-12T10:59:42Z' },
    ];
    const res = await call('POST', '/v1/training-sets', { features: FEATURES, entities, pointInTime: 'event' });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual(['symbol', 'ts', 'returns@1__ret_1d', 'returns@2__ret_1d', 'returns__ret_5d']);
    for (const [i, e] of entities.entries()) {
      const series = bars.get(e.symbol)!;
      const t = Date.parse(e.ts);
      const row = res.body.rows[i];
      const want = { v1: referenceRet(series, t, 1), v2: referenceRet(series, t, 2), ret5: referenceRet(series, t, 5) };
      const got = { v1: row['returns@1__ret_1d'], v2: row['returns@2__ret_1d'], ret5: row.returns__ret_5d };
      expect({ i, v1: close(got.v1, want.v1), v2: close(got.v2, want.v2), ret5: close(got.ret5, want.ret5) }).toEqual({ i, v1: true, v2: true, ret5: true });
    }
    // The two versions really differ somewhere, so the test would see them swapped.
    expect(res.body.rows.some((r: Record<string, unknown>) => r['returns@1__ret_1d'] !== null && r['returns@1__ret_1d'] !== r['returns@2__ret_1d'])).toBe(true);

    const manifest = (await call('GET', `/v1/training-sets/${res.body.trainingSetId}`)).body;
    expect(manifest).toMatchObject({
      digest: res.body.digest,
      features: [
        { view: 'returns', version: 1, feature: 'ret_1d' },
        { view: 'returns', version: 2, feature: 'ret_1d' },
        { view: 'returns', version: 2, feature: 'ret_5d' },
      ],
      columns: res.body.columns,
    });
    const again = await call('GET', `/v1/training-sets/${res.body.trainingSetId}/data`);
    expect(again.body.rows).toEqual(res.body.rows);
    expect((await call('POST', '/v1/training-sets', { features: FEATURES, entities, pointInTime: 'event' })).body.digest).toBe(res.body.digest);
    // One version alone keeps its plain column name (and so the digest such a set always had).
    expect((await call('POST', '/v1/training-sets', { features: ['returns@1:ret_1d'], entities })).body.columns).toEqual(['symbol', 'ts', 'returns__ret_1d']);
    const twice = await call('POST', '/v1/training-sets', { features: ['returns@2:ret_1d', 'returns:ret_1d'], entities });
    expect(twice).toMatchObject({ status: 400, body: { error: { details: { field: 'features[1]' } } } });
  });

  it('online lookups: each version\'s newest value, as the bars give it', async () => {
    const symbols = ['SYN0001', 'SYN0002', 'NOPE'];
    const res = await call('POST', '/v1/online-features', { features: FEATURES, entities: { symbol: symbols } });
    expect(res.status).toBe(200);
    expect(res.body.featureNames).toEqual(['symbol', 'returns@1__ret_1d', 'returns@2__ret_1d', 'returns__ret_5d']);
    expect(res.body.versions).toEqual({ 'returns@1': 1, 'returns@2': 2, returns: 2 });
    const now = Date.now();
    for (const [j, symbol] of symbols.entries()) {
      const series = bars.get(symbol) ?? [];
      const want = { v1: referenceRet(series, now, 1), v2: referenceRet(series, now, 2) };
      const row = res.body.rows[j];
      expect({ symbol, v1: close(row['returns@1__ret_1d'], want.v1), v2: close(row['returns@2__ret_1d'], want.v2) }).toEqual({ symbol, v1: true, v2: true });
      const status = series.length ? 'PRESENT' : 'NOT_FOUND';
      expect(res.body.metadata[j].statuses).toEqual({ 'returns@1__ret_1d': status, 'returns@2__ret_1d': status, returns__ret_5d: status });
    }
    expect(res.body.rows[0]['returns@1__ret_1d']).not.toBe(res.body.rows[0]['returns@2__ret_1d']);
  });

  it('Feast\'s route: both versions with full feature names, and both listed in the view metadata', async () => {
    const res = await call('POST', '/get-online-features', {
      features: ['returns@1:ret_1d', 'returns@2:ret_1d'],
      entities: { symbol: ['SYN0001'] },
      full_feature_names: true,
      include_feature_view_version_metadata: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.metadata.feature_names).toEqual(['symbol', 'returns@1__ret_1d', 'returns@2__ret_1d']);
    expect(res.body.metadata.feature_view_metadata).toEqual([
      { name: 'returns', version: 1 },
      { name: 'returns', version: 2 },
    ]);
    const series = bars.get('SYN0001')!;
    expect(close(res.body.results[1].values[0], referenceRet(series, Date.now(), 1))).toBe(true);
    expect(close(res.body.results[2].values[0], referenceRet(series, Date.now(), 2))).toBe(true);
  });
});
