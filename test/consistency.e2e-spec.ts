import { join } from 'node:path';
import { ConsistencyService, LmdbOnlineStore } from '@app/features';
import { FORWARD_LABEL_SQL } from './support/reference-labels';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

// Online/offline consistency over HTTP with a real server, LMDB online store and Parquet offline
// store: after materialisation both agree; then the online store is made to disagree through
// Feast's /write-to-online-store (a real write path) and each disagreement must be reported with
// its reason, the rows and the features that differ, the offline side checked against values
// computed here from the bars.

const DAY = 86_400_000;
const FIRST = Date.parse('2024-02-01T00:00:00Z');
const DAYS = 20;
const SYMBOLS = ['CS00', 'CS01', 'CS02', 'CS03'];
const iso = (ms: number) => new Date(ms).toISOString();
const closeOf = (s: number, d: number) => 50 + 3 * s + d + 0.25 * ((d * 5 + s) % 7);
const volumeOf = (s: number, d: number) => 1000 + 10 * s + d;

const VIEW = {
  name: 'cs_feat',
  entity: 'symbol',
  source: 'cs_bars',
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

// The newest offline row of symbol s, computed from the bars (no SQL).
function newestRow(s: number): { eventTs: number; values: { ret: number; vol: number; up: boolean } } {
  const d = DAYS - 1;
  return { eventTs: FIRST + d * DAY, values: { ret: closeOf(s, d) / closeOf(s, d - 1) - 1, vol: volumeOf(s, d), up: closeOf(s, d) > closeOf(s, d - 1) } };
}

describe('online/offline consistency over HTTP', () => {
  let api: TestApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
  const check = (keys: string, view = 'cs_feat') => call('GET', `/v1/feature-views/${view}/versions/1/consistency?keys=${keys}`);

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '1', BOOTSTRAP_DAYS: '10' });
    const rows = SYMBOLS.flatMap((symbol, s) =>
      Array.from({ length: DAYS }, (_, d) => ({ symbol, ts: iso(FIRST + d * DAY), open: closeOf(s, d), high: closeOf(s, d), low: closeOf(s, d), close: closeOf(s, d), volume: volumeOf(s, d) })),
    );
    expect((await call('POST', '/v1/datasets/cs_bars/rows', rows)).status).toBe(200);
    expect((await call('POST', '/v1/feature-views', VIEW)).status).toBe(201);
    const started = await call('POST', '/v1/feature-views/cs_feat/versions/1/materialize');
    await expectEventually(async () => expect((await call('GET', `/v1/jobs/${started.body.jobId}`)).body.status).toBe('succeeded'), 60_000);
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('agrees after materialisation', async () => {
    const res = await check(SYMBOLS.join(','));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ view: 'cs_feat', version: 1, checked: 4, mismatches: [] });
  });

  it('reports a changed value, a newer online event time and a key only online', async () => {
    const write = (df: Record<string, unknown[]>) => call('POST', '/write-to-online-store', { feature_view_name: 'cs_feat', df });
    const [one, two] = [newestRow(1), newestRow(2)];
    // Same event time as the newest offline row, another ret: a newer created time wins online.
    expect((await write({ symbol: ['CS01'], event_timestamp: [iso(one.eventTs)], ret: [123], vol: [one.values.vol], up: [one.values.up] })).status).toBe(200);
    // A day later than anything offline, same values.
    expect((await write({ symbol: ['CS02'], event_timestamp: [iso(two.eventTs + DAY)], ret: [two.values.ret], vol: [two.values.vol], up: [two.values.up] })).status).toBe(200);
    expect((await write({ symbol: ['CS_NEW'], event_timestamp: [iso(two.eventTs)], ret: [0.5], vol: [1], up: [true] })).status).toBe(200);

    const res = await check('CS00,CS01,CS02,CS03,CS_NEW,CS01');
    expect(res.status).toBe(200);
    expect(res.body.checked).toBe(5);
    const byKey = (k: string) => res.body.mismatches.filter((m: { key: { symbol: string } }) => m.key.symbol === k);
    expect(byKey('CS00')).toEqual([]);
    expect(byKey('CS03')).toEqual([]);

    const [value] = byKey('CS01');
    expect(byKey('CS01')).toHaveLength(1);
    expect(value).toMatchObject({ reason: 'value', features: ['ret'], online: { values: { ret: 123, vol: one.values.vol, up: one.values.up } } });
    expect(Date.parse(value.offline.eventTs)).toBe(one.eventTs);
    expect(Date.parse(value.online.eventTs)).toBe(one.eventTs);
    expect(value.offline.values.ret).toBeCloseTo(one.values.ret, 12);
    expect(value.offline.values).toMatchObject({ vol: one.values.vol, up: one.values.up });

    const [late] = byKey('CS02');
    expect(byKey('CS02')).toHaveLength(1);
    expect(late).toMatchObject({ reason: 'event_ts', features: [] });
    expect(Date.parse(late.online.eventTs)).toBe(two.eventTs + DAY);
    expect(Date.parse(late.offline.eventTs)).toBe(two.eventTs);

    expect(byKey('CS_NEW')).toEqual([{ key: { symbol: 'CS_NEW' }, reason: 'missing_offline', online: expect.objectContaining({ values: { ret: 0.5, vol: 1, up: true } }), offline: null, features: ['ret', 'vol', 'up'] }]);
  });

  it('reports keys an online store does not hold as missing_online (an empty LMDB store)', async () => {
    const empty = LmdbOnlineStore.open(join(api.dataDir, 'empty-online'));
    try {
      const store = api.store;
      const service = new ConsistencyService(store.db, store.features, store.registry.definitions, store.offlineStore, empty);
      const report = await service.check('cs_feat', 1, ['CS03']);
      const want = newestRow(3);
      expect(report.mismatches).toHaveLength(1);
      expect(report.mismatches[0]).toMatchObject({ key: { symbol: 'CS03' }, reason: 'missing_online', online: null, features: ['ret', 'vol', 'up'] });
      expect(Date.parse(report.mismatches[0].offline!.eventTs)).toBe(want.eventTs);
      expect(report.mismatches[0].offline!.values.ret).toBeCloseTo(want.values.ret, 12);
    } finally {
      await empty.close();
    }
  });

  it('refuses label views, unknown views and bad key lists with a clear 4xx', async () => {
    const label = { name: 'cs_fwd', entity: 'symbol', source: 'cs_bars', ttl: '3d', kind: 'label', sql: FORWARD_LABEL_SQL, features: [{ name: 'fwd_3', type: 'DOUBLE' }, { name: 'up_1', type: 'BOOLEAN' }] };
    expect((await call('POST', '/v1/feature-views', label)).status).toBe(201);
    expect(await check('CS00', 'cs_fwd')).toMatchObject({ status: 422, body: { error: { code: 'LABEL_MISUSE', details: { field: 'name', view: 'cs_fwd' } } } });
    expect(await check('CS00', 'cs_nope')).toMatchObject({ status: 404, body: { error: { details: { field: 'name' } } } });
    const tooMany = Array.from({ length: 1001 }, (_, i) => `K${i}`).join(',');
    for (const [query, field] of [[tooMany, 'keys'], ['', 'keys[0]'], ['CS00,,CS01', 'keys[1]']]) {
      const res = await check(query);
      expect({ query: query.slice(0, 20), status: res.status, field: res.body.error?.details?.field }).toEqual({ query: query.slice(0, 20), status: 400, field });
    }
    const missing = await call('GET', '/v1/feature-views/cs_feat/versions/1/consistency');
    expect({ status: missing.status, field: missing.body.error?.details?.field }).toEqual({ status: 400, field: 'keys' });
  });
});
