import { readdirSync } from 'node:fs';
import { FileProvider, FixedClock, LmdbOnlineStore, SyntheticProvider, parseBarTiming, type FeatureStore, applyCatalog, marketCatalog } from '@app/features';
import { SAMPLE_CSV, openStore, query, tempDataDir } from '../support/helpers';
import { referenceFeatures, type Bar, type FeatureRow } from '../support/reference-features';

const END = new Date('2025-06-30T00:00:00Z');

async function seed(store: FeatureStore): Promise<void> {
  await store.ingest.run(new FileProvider({ path: SAMPLE_CSV, symbol: 'BTC-USD', timing: parseBarTiming({ interval: '1d' }) }), { dataset: 'bars_1d', createAs: 'bars' });
  // 0.5 % gaps, so "previous bar" and "previous day" differ somewhere.
  await store.ingest.run(new SyntheticProvider({ symbols: 4, days: 420, seed: 5, endDate: END, gapRate: 0.005 }), { dataset: 'bars_1d', createAs: 'bars' });
  await applyCatalog(store.features, marketCatalog);
}

async function offlineRows(dataDir: string, view: string, version = 1): Promise<Array<Record<string, unknown>>> {
  return query(`SELECT * FROM read_parquet('${dataDir}/offline/${view}/v${version}/*.parquet') ORDER BY symbol, event_ts`);
}

// Features built on exponential averages are computed over windows that leave < 1e-9 of the
// weight out (see the catalog); the others are exact up to floating-point rounding.
const EMA_BASED = new Set(['ema_ratio_12', 'rsi_14', 'macd', 'macd_signal']);

function close(actual: unknown, expected: number | boolean | null, where: string, relative = 1e-9): void {
  if (expected === null || typeof expected === 'boolean') {
    expect({ where, value: actual }).toEqual({ where, value: expected });
    return;
  }
  const tolerance = relative * Math.max(1, Math.abs(expected));
  if (typeof actual !== 'number' || Math.abs(actual - expected) > tolerance) {
    throw new Error(`${where}: materialised ${String(actual)}, reference ${expected}`);
  }
}

describe('materialisation of the market catalog', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, new FixedClock(new Date('2025-07-01T00:00:00Z')));
    await seed(store);
    for (const view of marketCatalog.views) await store.materializer.run({ view: view.name });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('computes every catalog feature as the independent reference does, for every bar', async () => {
    const bars = await query<Bar & Record<string, unknown>>(`SELECT symbol, ts, open, high, low, close, volume FROM read_parquet('${tmp.dir}/lake/bars_1d/*/*.parquet') ORDER BY symbol, ts`);
    const bySymbol = new Map<string, Bar[]>();
    for (const b of bars) bySymbol.set(b.symbol, [...(bySymbol.get(b.symbol) ?? []), b]);
    const reference = new Map<string, Map<string, FeatureRow>>([...bySymbol].map(([s, bs]) => [s, referenceFeatures(bs)]));
    let checked = 0;
    for (const view of marketCatalog.views) {
      const rows = await offlineRows(tmp.dir, view.name);
      expect(rows).toHaveLength(bars.length);
      for (const row of rows) {
        const expected = reference.get(String(row.symbol))!.get(String(row.event_ts))!;
        for (const f of view.features) {
          close(row[f.name], expected[f.name], `${view.name}.${f.name} ${row.symbol} ${row.event_ts}`, EMA_BASED.has(f.name) ? 1e-7 : 1e-9);
          checked++;
        }
      }
    }
    expect(checked).toBe(bars.length * marketCatalog.views.reduce((n, v) => n + v.features.length, 0));
  });

  it('dates each forward_returns row by the bar that completes its 20-bar label (available_at), null at the end of a series', async () => {
    const bars = await query<{ symbol: string; ts: string }>(`SELECT symbol, ts FROM read_parquet('${tmp.dir}/lake/bars_1d/*/*.parquet') ORDER BY symbol, ts`);
    const expected = bars.map((b, i) => {
      const later = bars[i + 20];
      return `${b.symbol} ${b.ts} ${later && later.symbol === b.symbol ? later.ts : null}`;
    });
    const rows = await offlineRows(tmp.dir, 'forward_returns');
    expect(rows.map((r) => `${r.symbol} ${r.event_ts} ${r.available_at}`)).toEqual(expected);
    expect(rows.filter((r) => r.available_at === null)).toHaveLength(20 * new Set(bars.map((b) => b.symbol)).size);
  });

  it('is idempotent: a second run writes nothing', async () => {
    const before = readdirSync(`${tmp.dir}/offline/trend/v1`);
    const again = await store.materializer.run({ view: 'trend' });
    expect(again).toMatchObject({ alreadyDone: true, rows: 0 });
    expect(readdirSync(`${tmp.dir}/offline/trend/v1`)).toEqual(before);
  });

  it('puts the latest row of each symbol in the online store', async () => {
    const [syn] = await query<{ ts: string }>(`SELECT max(event_ts) AS ts FROM read_parquet('${tmp.dir}/offline/returns/v1/*.parquet') WHERE symbol = 'SYN0001'`);
    const [[row]] = await store.online.read([{ view: 'returns', version: 1 }], [['SYN0001']]);
    expect(row?.eventTs).toBe(syn.ts);
    const offline = (await offlineRows(tmp.dir, 'returns')).find((r) => r.symbol === 'SYN0001' && r.event_ts === syn.ts)!;
    expect(row?.values).toEqual({ ret_1d: offline.ret_1d, ret_5d: offline.ret_5d, ret_20d: offline.ret_20d, log_ret_1d: offline.log_ret_1d });
    expect((await store.online.read([{ view: 'returns', version: 1 }], [['NOPE']]))[0][0]).toBeUndefined();
  });

  it('materialised in two steps gives exactly the rows of one full run (lookback covers the windows)', async () => {
    const other = tempDataDir();
    const stepwise = await openStore(other.dir, new FixedClock(new Date('2025-07-01T00:00:00Z')));
    try {
      await seed(stepwise);
      for (const view of marketCatalog.views) {
        const first = await stepwise.materializer.run({ view: view.name, end: new Date('2025-01-15T00:00:00Z') });
        const second = await stepwise.materializer.run({ view: view.name });
        expect(first.rows + second.rows).toBe((await offlineRows(tmp.dir, view.name)).length);
        expect(second.ranges).toHaveLength(1);
        // Equal up to floating-point summation order (window aggregates over another segment).
        const full = await offlineRows(tmp.dir, view.name);
        const steps = await offlineRows(other.dir, view.name);
        expect(steps.map((r) => [r.symbol, r.event_ts])).toEqual(full.map((r) => [r.symbol, r.event_ts]));
        steps.forEach((row, i) => {
          for (const f of view.features) close(row[f.name], full[i][f.name] as number | boolean | null, `${view.name}.${f.name} ${row.symbol} ${row.event_ts}`, 1e-12);
        });
      }
    } finally {
      await stepwise.close();
      other.cleanup();
    }
  });

  it('keeps old versions materialised when a new version is applied', async () => {
    const v2 = { ...marketCatalog.views[0], sql: marketCatalog.views[0].sql.replace('lag(close, 20)', 'lag(close, 21)') };
    const applied = await store.features.apply(v2);
    expect(applied).toMatchObject({ version: 2, created: true });
    const result = await store.materializer.run({ view: 'returns' });
    expect(result.version).toBe(2);
    expect((await offlineRows(tmp.dir, 'returns', 1)).length).toBe((await offlineRows(tmp.dir, 'returns', 2)).length);
    expect((await store.features.getVersion('returns', 1)).materialized).not.toBeNull();
  });

  it('carries created_ts: when the newest input bar was ingested', async () => {
    const rows = await offlineRows(tmp.dir, 'returns');
    const [ingested] = await query<{ btc: string; syn: string }>(
      `SELECT max(ingested_at) FILTER (WHERE symbol = 'BTC-USD') AS btc, max(ingested_at) FILTER (WHERE symbol <> 'BTC-USD') AS syn FROM read_parquet('${tmp.dir}/lake/bars_1d/*/*.parquet')`,
    );
    // The two batches were ingested 1 ms apart on the fixed clock (ingested_at strictly increases).
    expect(ingested.syn).not.toBe(ingested.btc);
    expect(new Set(rows.filter((r) => r.symbol === 'BTC-USD').map((r) => r.created_ts))).toEqual(new Set([ingested.btc]));
    expect(new Set(rows.filter((r) => r.symbol !== 'BTC-USD').map((r) => r.created_ts))).toEqual(new Set([ingested.syn]));
  });
});

describe('online store (LMDB)', () => {
  it('never replaces a row by one with an older event time', async () => {
    const tmp = tempDataDir();
    const online = LmdbOnlineStore.open(`${tmp.dir}/online`);
    try {
      const row = (eventTs: string, v: number) => ({ key: ['AAA'], eventTs, createdTs: eventTs, values: { x: v } });
      expect(await online.putLatest('v', 1, [row('2024-01-02T00:00:00Z', 2)])).toBe(1);
      expect(await online.putLatest('v', 1, [row('2024-01-01T00:00:00Z', 1)])).toBe(0);
      expect(await online.putLatest('v', 1, [row('2024-01-01T12:00:00.5Z', 1.5)])).toBe(0);
      expect((await online.read([{ view: 'v', version: 1 }], [['AAA']]))[0][0]?.values).toEqual({ x: 2 });
      expect(await online.putLatest('v', 1, [row('2024-01-03T00:00:00Z', 3)])).toBe(1);
      expect((await online.read([{ view: 'v', version: 1 }], [['AAA']]))[0][0]?.values).toEqual({ x: 3 });
      expect((await online.read([{ view: 'v', version: 2 }], [['AAA']]))[0][0]).toBeUndefined();
    } finally {
      await online.close();
      tmp.cleanup();
    }
  });
});
