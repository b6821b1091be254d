import { LmdbOnlineStore, RedisOnlineStore, marketSignalsService, type OnlineRow, type OnlineStoreDriver } from '@app/features';
import { writeFileSync } from 'node:fs';
import { cli } from './support/processes';
import { query, tempDataDir } from './support/helpers';
import { startRedis, type TestRedis } from './support/redis.server';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

const FEATURES = ['returns:ret_1d', 'volatility:vol_20d', 'updown:going_up', 'trend:rsi_14'];
const SYMBOLS = ['SYN0001', 'SYN0007', 'BTC-USD', 'NOPE', 'SYN0001'];
const TTL_MS = 3 * 86_400_000;

interface Expected {
  value: unknown;
  status: 'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_TTL';
  eventTs: string | null;
}

/** Independent answer: the newest offline row per symbol, read straight from the Parquet files. */
async function expectedValues(dataDir: string, features: readonly string[], symbols: readonly string[], now: number): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  for (const ref of features) {
    const [view, feature] = ref.split(':');
    const rows = await query<{ symbol: string; event_ts: string; value: unknown }>(
      `SELECT symbol, max(event_ts) AS event_ts, arg_max(${feature}, (event_ts, created_ts)) AS value FROM read_parquet('${dataDir}/offline/${view}/v1/*.parquet') GROUP BY symbol`,
    );
    const bySymbol = new Map(rows.map((r) => [r.symbol, r]));
    for (const symbol of symbols) {
      const row = bySymbol.get(symbol);
      const key = `${symbol}/${view}__${feature}`;
      if (!row) out.set(key, { value: null, status: 'NOT_FOUND', eventTs: null });
      else if (now - Date.parse(row.event_ts) > TTL_MS) out.set(key, { value: null, status: 'OUTSIDE_TTL', eventTs: row.event_ts });
      else out.set(key, { value: row.value, status: 'PRESENT', eventTs: row.event_ts });
    }
  }
  return out;
}

const BACKENDS = ['lmdb', 'redis'] as const;

describe.each(BACKENDS)('online serving on the %s backend', (backend) => {
  let redis: TestRedis | null = null;
  let api: TestApi;

  beforeAll(async () => {
    if (backend === 'redis') redis = await startRedis();
    api = await startTestApi(redis ? { ONLINE_STORE: redis.url, ONLINE_MAX_KEYS: '50' } : { ONLINE_MAX_KEYS: '50' });
  }, 120_000);
  afterAll(async () => {
    await api.stop();
    await redis?.close();
  });

  it('answers the newest materialised value per symbol, with event time and status, as the offline files say', async () => {
    const res = await api.call('POST', '/v1/online-features', { features: FEATURES, entities: { symbol: SYMBOLS } });
    expect(res.status).toBe(200);
    const expected = await expectedValues(api.dataDir, FEATURES, SYMBOLS, Date.now());
    expect(res.body.featureNames).toEqual(['symbol', 'returns__ret_1d', 'volatility__vol_20d', 'updown__going_up', 'trend__rsi_14']);
    expect(res.body.versions).toEqual({ returns: 1, volatility: 1, updown: 1, trend: 1 });
    expect(res.body.rows).toHaveLength(SYMBOLS.length);
    const seen = new Set<string>();
    SYMBOLS.forEach((symbol, j) => {
      expect(res.body.rows[j].symbol).toBe(symbol);
      for (const ref of FEATURES) {
        const name = ref.replace(':', '__');
        const want = expected.get(`${symbol}/${name}`)!;
        seen.add(want.status);
        expect({ symbol, name, value: res.body.rows[j][name], status: res.body.metadata[j].statuses[name], ts: res.body.metadata[j].eventTimestamps[name] }).toEqual({
          symbol,
          name,
          value: want.value,
          status: want.status,
          ts: want.eventTs,
        });
      }
    });
    // The sample BTC bars are of 2021 (outside the 3-day TTL), the synthetic ones end today.
    expect([...seen].sort()).toEqual(['NOT_FOUND', 'OUTSIDE_TTL', 'PRESENT']);
  });

  it("answers Feast's /get-online-features shape: column-major, entity key first, Feast statuses", async () => {
    const ours = await api.call('POST', '/v1/online-features', { features: FEATURES, entities: { symbol: SYMBOLS } });
    const short = await api.call('POST', '/get-online-features', { features: FEATURES, entities: { symbol: SYMBOLS } });
    expect(short.status).toBe(200);
    expect(short.body.metadata.feature_names).toEqual(['symbol', 'ret_1d', 'vol_20d', 'going_up', 'rsi_14']);
    const full = await api.call('POST', '/get-online-features', { features: FEATURES, entities: { symbol: SYMBOLS }, full_feature_names: true });
    expect(full.body.metadata.feature_names).toEqual(ours.body.featureNames);
    expect(full.body.results[0]).toEqual({ values: SYMBOLS, statuses: SYMBOLS.map(() => 'PRESENT'), event_timestamps: SYMBOLS.map(() => '1970-01-01T00:00:00Z') });
    FEATURES.forEach((ref, i) => {
      const name = ref.replace(':', '__');
      const column = full.body.results[i + 1];
      SYMBOLS.forEach((_, j) => {
        const status = ours.body.metadata[j].statuses[name];
        const value = ours.body.rows[j][name];
        const feast = status === 'NOT_FOUND' ? 'NOT_FOUND' : status === 'OUTSIDE_TTL' ? 'OUTSIDE_MAX_AGE' : value === null ? 'NULL_VALUE' : 'PRESENT';
        expect({ name, j, value: column.values[j], status: column.statuses[j] }).toEqual({ name, j, value, status: feast });
        const ts = ours.body.metadata[j].eventTimestamps[name];
        expect(column.event_timestamps[j]).toBe(ts === null ? '1970-01-01T00:00:00Z' : ts.replace(/\.\d+Z$/, 'Z'));
      });
    });
    expect(short.body.results).toEqual(full.body.results);
  });

  it('resolves a feature service to the same values as its feature list', async () => {
    const byService = await api.call('POST', '/v1/online-features', { featureService: 'market_signals', entities: { symbol: ['SYN0003', 'SYN0004'] } });
    const byList = await api.call('POST', '/v1/online-features', { features: marketSignalsService.features, entities: { symbol: ['SYN0003', 'SYN0004'] } });
    expect(byService.status).toBe(200);
    expect(byService.body).toEqual(byList.body);
    expect(byService.body.featureNames).toHaveLength(1 + marketSignalsService.features.length);
    const feast = await api.call('POST', '/get-online-features', { feature_service: 'market_signals', entities: { symbol: ['SYN0003'] } });
    expect(feast.status).toBe(200);
    expect(feast.body.results).toHaveLength(1 + marketSignalsService.features.length);
  });

  it.each([
    ['an unknown feature', { features: ['returns:ret_1d', 'returns:nope'], entities: { symbol: ['SYN0001'] } }, 422, 'features[1]'],
    ['an unknown view', { features: ['nope:x'], entities: { symbol: ['SYN0001'] } }, 422, 'features[0]'],
    ['an unknown feature service', { featureService: 'nope', entities: { symbol: ['SYN0001'] } }, 422, 'featureService'],
    ['no features', { features: [], entities: { symbol: ['SYN0001'] } }, 400, 'features'],
    ['no entities', { features: FEATURES }, 400, 'entities'],
    ['empty keys', { features: FEATURES, entities: { symbol: [] } }, 400, 'entities.symbol'],
    ['a number as key', { features: FEATURES, entities: { symbol: ['SYN0001', 42] } }, 400, 'entities.symbol[1]'],
    ['a key column that is not a join key', { features: FEATURES, entities: { symbol: ['SYN0001'], venue: ['X'] } }, 400, 'entities.venue'],
    ['the join key missing', { features: FEATURES, entities: { ticker: ['SYN0001'] } }, 400, 'entities.ticker'],
    ['more keys than ONLINE_MAX_KEYS', { features: FEATURES, entities: { symbol: Array.from({ length: 51 }, (_, i) => `S${i}`) } }, 400, 'entities.symbol'],
  ])('rejects %s', async (_what, body, status, field) => {
    const res = await api.call('POST', '/v1/online-features', body);
    expect(res.status).toBe(status);
    expect(res.body.error.details.field).toBe(field);
    expect(res.body.error.message).toContain(field.replace(/\[\d+\]$/, ''));
    const feast = await api.call('POST', '/get-online-features', { ...body, feature_service: (body as { featureService?: string }).featureService, featureService: undefined });
    expect(feast.status).toBe(status);
  });

  it('rejects a body that is not an object, and a bad full_feature_names', async () => {
    expect((await api.call('POST', '/v1/online-features', [1, 2])).status).toBe(400);
    const res = await api.call('POST', '/get-online-features', { features: FEATURES, entities: { symbol: ['SYN0001'] }, full_feature_names: 'yes' });
    expect(res.status).toBe(400);
    // The Feast routes answer errors in Feast's shape: a JSON string with module, class, message.
    expect(JSON.parse(res.body)).toMatchObject({ module: 'feast.errors', class: 'FeastError', message: expect.stringContaining('full_feature_names') });
  });

  it('follows a newly applied version at once in this process and within seconds from another process', async () => {
    const view = (await api.call('GET', '/v1/feature-views/volume_stats/versions/1')).body;
    const v2 = await api.call('POST', '/v1/feature-views', { ...view.definition, ttl: '4d' });
    expect(v2.body).toMatchObject({ version: 2, created: true });
    // `volume_stats:…` now means version 2, which is not materialised yet: nothing online.
    const before = await api.call('POST', '/v1/online-features', { features: ['volume_stats:volume_z_20d'], entities: { symbol: ['SYN0002'] } });
    expect(before.body.versions).toEqual({ volume_stats: 2 });
    expect(before.body.metadata[0].statuses.volume_stats__volume_z_20d).toBe('NOT_FOUND');
    const job = await api.call('POST', '/v1/feature-views/volume_stats/versions/2/materialize', {});
    expect(job.status).toBeLessThan(300);
    await expectEventually(async () => expect((await api.call('GET', `/v1/jobs/${job.body.jobId}`)).body.status).toBe('succeeded'), 30_000);
    const after = await api.call('POST', '/v1/online-features', { features: ['volume_stats:volume_z_20d'], entities: { symbol: ['SYN0002'] } });
    const old = await api.call('POST', '/v1/online-features', { features: ['volume_stats@1:volume_z_20d'], entities: { symbol: ['SYN0002'] } });
    expect(after.body.metadata[0].statuses.volume_stats__volume_z_20d).toBe('PRESENT');
    expect(after.body.rows[0].volume_stats__volume_z_20d).toBe(old.body.rows[0].volume_stats__volume_z_20d);
    expect(old.body.versions).toEqual({ volume_stats: 1 });

    // Another process (the CLI) applies version 3 of a view; the API notices without a restart.
    const defs = tempDataDir();
    const trend = (await api.call('GET', '/v1/feature-views/trend/versions/1')).body.definition;
    const file = `${defs.dir}/defs.json`;
    writeFileSync(file, JSON.stringify({ views: [{ ...trend, ttl: '5d' }] }));
    await api.call('POST', '/v1/online-features', { features: ['trend:macd'], entities: { symbol: ['SYN0002'] } });
    const applied = await cli(api.dataDir, ['apply', '--file', file]);
    expect(applied.code).toBe(0);
    await expectEventually(async () => {
      const res = await api.call('POST', '/v1/online-features', { features: ['trend:macd'], entities: { symbol: ['SYN0002'] } });
      expect(res.body.versions).toEqual({ trend: 2 });
    }, 5_000);
    defs.cleanup();
  }, 60_000);

  it('never rolls a value back to an older event time, and a reader never sees half a row', async () => {
    const store: OnlineStoreDriver = api.store.online;
    const row = (day: number, value: number): OnlineRow => ({
      key: ['RACE'],
      eventTs: new Date(Date.UTC(2026, 0, day)).toISOString(),
      createdTs: new Date(Date.UTC(2026, 0, day, 1)).toISOString(),
      values: { a: value, b: value, c: value },
    });
    expect(await store.putLatest('race', 1, [row(10, 10)])).toBe(1);
    expect(await store.putLatest('race', 1, [row(9, 9)])).toBe(0);
    expect((await store.read([{ view: 'race', version: 1 }], [['RACE']]))[0][0]?.values).toEqual({ a: 10, b: 10, c: 10 });
    // A late correction of the same event time (newer created time) does replace it.
    expect(await store.putLatest('race', 1, [{ ...row(10, 11), createdTs: new Date(Date.UTC(2026, 0, 10, 2)).toISOString() }])).toBe(1);

    // A writer advancing day by day while a reader polls: every row read is whole and never older.
    let last = 10;
    let writing = true;
    const writer = (async () => {
      for (let day = 11; day < 200; day++) await store.putLatest('race', 1, [row(day, day)]);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const [[got]] = await store.read([{ view: 'race', version: 1 }], [['RACE']]);
      const { a, b, c } = got!.values as { a: number; b: number; c: number };
      expect(a === b && b === c).toBe(true);
      expect(a).toBeGreaterThanOrEqual(last);
      last = a;
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect((await store.read([{ view: 'race', version: 1 }], [['RACE']]))[0][0]?.values.a).toBe(199);
  });

  it('reports the online store in /health', async () => {
    const res = await api.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body.stores[`online:${backend}`]).toBe('ok');
  });

  it('counts hits, misses and stale values and times each route on /metrics (Prometheus text)', async () => {
    const metric = (text: string, name: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
    };
    const before = await fetch(`${api.base}/metrics`).then((r) => r.text());
    await api.call('POST', '/v1/online-features', { features: ['returns:ret_1d', 'returns:ret_5d'], entities: { symbol: ['SYN0001', 'NOPE', 'BTC-USD'] } });
    const res = await fetch(`${api.base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const after = await res.text();
    for (const [result, n] of [['present', 2], ['not_found', 2], ['outside_ttl', 2]] as const) {
      const name = `feature_store_online_values_total{result="${result}"}`;
      expect({ result, delta: metric(after, name) - metric(before, name) }).toEqual({ result, delta: n });
    }
    const route = 'feature_store_http_request_duration_seconds_count{method="POST",route="/v1/online-features",status="200"}';
    expect(metric(after, route) - metric(before, route)).toBe(1);
    expect(after).toContain('feature_store_http_request_duration_seconds_bucket{le="0.001",method="POST",route="/v1/online-features",status="200"}');
  });

  if (backend === 'redis') {
    it('answers 503 naming Redis while it is down, and recovers without a restart when it is back', async () => {
      const request = { features: ['returns:ret_1d'], entities: { symbol: ['SYN0001'] } };
      const before = await api.call('POST', '/v1/online-features', request);
      expect(before.status).toBe(200);
      await redis!.stop();
      const down = await api.call('POST', '/v1/online-features', request);
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('UNAVAILABLE');
      expect(down.body.error.message).toMatch(/redis/);
      const health = await api.call('GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.stores['online:redis']).toMatch(/redis/);
      expect(await fetch(`${api.base}/metrics`).then((r) => r.text())).toMatch(/feature_store_online_store_errors_total\{store="redis"\} [1-9]/);
      await redis!.start();
      await expectEventually(async () => {
        const again = await api.call('POST', '/v1/online-features', request);
        expect(again.status).toBe(200);
        // The server kept its data (append-only file): the same value as before it stopped.
        expect(again.body.rows).toEqual(before.body.rows);
      }, 10_000);
    }, 60_000);
  }
});

describe('online store drivers opened directly', () => {
  it('LMDB: two handles on one folder (two processes in production) see each other’s writes', async () => {
    const tmp = tempDataDir();
    const a = LmdbOnlineStore.open(`${tmp.dir}/online`);
    const b = LmdbOnlineStore.open(`${tmp.dir}/online`);
    try {
      await a.putLatest('v', 1, [{ key: ['K'], eventTs: '2026-01-01T00:00:00.000Z', createdTs: '2026-01-01T00:00:00.000Z', values: { x: 1 } }]);
      expect((await b.read([{ view: 'v', version: 1 }], [['K']]))[0][0]?.values).toEqual({ x: 1 });
      // b keeps the row it decoded; a write through a, of the same size, must still show in b's
      // next read snapshot (lmdb renews a handle's snapshot once per event-loop turn, as a new request has).
      await a.putLatest('v', 1, [{ key: ['K'], eventTs: '2026-01-02T00:00:00.000Z', createdTs: '2026-01-02T00:00:00.000Z', values: { x: 2 } }]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      const [[row]] = await b.read([{ view: 'v', version: 1 }], [['K']]);
      expect(row).toEqual({ key: ['K'], eventTs: '2026-01-02T00:00:00.000Z', createdTs: '2026-01-02T00:00:00.000Z', values: { x: 2 } });
      // While nothing is written, a lookup reads the generation and no row.
      const db = (b as unknown as { db: { getBinaryFast(key: string): unknown } }).db;
      const rowReads = jest.spyOn(db, 'getBinaryFast');
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect((await b.read([{ view: 'v', version: 1 }], [['K']]))[0][0]).toBe(row);
      expect(rowReads.mock.calls.map(([key]) => key)).toEqual(['\u0000generation']);
      rowReads.mockRestore();
      // A key that has no row yet, then gets one through the other handle.
      expect((await b.read([{ view: 'v', version: 1 }], [['L']]))[0][0]).toBeUndefined();
      await a.putLatest('v', 1, [{ key: ['L'], eventTs: '2026-01-02T00:00:00.000Z', createdTs: '2026-01-02T00:00:00.000Z', values: { x: 3 } }]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect((await b.read([{ view: 'v', version: 1 }], [['K'], ['L']]))[0].map((r) => r?.values.x)).toEqual([2, 3]);
      // A write through a and a read through b in the same event-loop turn, then a later read:
      // what b finds must never be older than that write once the turn is over.
      await a.putLatest('v', 1, [{ key: ['K'], eventTs: '2026-01-03T00:00:00.000Z', createdTs: '2026-01-03T00:00:00.000Z', values: { x: 4 } }]);
      await b.read([{ view: 'v', version: 1 }], [['K']]);
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect((await b.read([{ view: 'v', version: 1 }], [['K']]))[0][0]?.values.x).toBe(4);
    } finally {
      await a.close();
      await b.close();
      tmp.cleanup();
    }
  });

  it('LMDB: a store written before it kept a generation gets one when opened', async () => {
    const tmp = tempDataDir();
    const first = LmdbOnlineStore.open(`${tmp.dir}/online`);
    try {
      await first.putLatest('v', 1, [{ key: ['K'], eventTs: '2026-01-01T00:00:00.000Z', createdTs: '2026-01-01T00:00:00.000Z', values: { x: 1 } }]);
      const db = (first as unknown as { db: { removeSync(key: string): boolean; get(key: string): unknown } }).db;
      db.removeSync('\u0000generation');
      expect(db.get('\u0000generation')).toBeUndefined();
    } finally {
      await first.close();
    }
    const again = LmdbOnlineStore.open(`${tmp.dir}/online`);
    try {
      const db = (again as unknown as { db: { get(key: string): unknown } }).db;
      expect(db.get('\u0000generation')).toEqual(expect.any(Number));
      expect((await again.read([{ view: 'v', version: 1 }], [['K']]))[0][0]?.values).toEqual({ x: 1 });
    } finally {
      await again.close();
      tmp.cleanup();
    }
  });

  it('Redis: two clients (two processes in production) see each other’s writes, while the reader keeps rows it read', async () => {
    const redis = await startRedis();
    const a = await RedisOnlineStore.connect(redis.url);
    const b = await RedisOnlineStore.connect(redis.url);
    const row = (key: string, day: number, x: number): OnlineRow => ({ key: [key], eventTs: `2026-01-0${day}T00:00:00.000Z`, createdTs: `2026-01-0${day}T00:00:00.000Z`, values: { x } });
    const read = async (...keys: string[]) => (await b.read([{ view: 'v', version: 1 }], keys.map((k) => [k])))[0].map((r) => r?.values.x);
    try {
      // Before any write there is no generation: every read asks for the rows.
      expect(await read('K', 'L')).toEqual([undefined, undefined]);
      await a.putLatest('v', 1, [row('K', 1, 1)]);
      expect(await read('K', 'L')).toEqual([1, undefined]);
      const [[first]] = await b.read([{ view: 'v', version: 1 }], [['K']]);
      // No write since: the same decoded row object comes back.
      expect((await b.read([{ view: 'v', version: 1 }], [['K']]))[0][0]).toBe(first);
      await a.putLatest('v', 1, [row('K', 2, 2), row('L', 2, 3)]);
      expect(await read('K', 'L')).toEqual([2, 3]);
      // A write that changes nothing (an older row) need not move the generation; a newer one must.
      await a.putLatest('v', 1, [row('K', 1, 9)]);
      expect(await read('K')).toEqual([2]);
      await a.putLatest('v', 1, [row('K', 3, 4)]);
      expect(await read('K', 'L')).toEqual([4, 3]);
    } finally {
      await a.close();
      await b.close();
      await redis.close();
    }
  });

  it('Redis: a server that is not there gives a clear error, not a hang', async () => {
    const store = await RedisOnlineStore.connect('redis://127.0.0.1:1/0');
    try {
      await expect(store.read([{ view: 'v', version: 1 }], [['K']])).rejects.toThrow(/redis at 127\.0\.0\.1:1/);
    } finally {
      await store.close();
    }
  });
});
