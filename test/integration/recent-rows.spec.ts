import { FixedClock, SyntheticProvider, applyCatalog, marketCatalog, type FeatureStore, type RecentRowsCache } from '@app/features';
import { openStore, query, tempDataDir } from '../support/helpers';

// The stream worker's cache of recent rows must give the online refresh exactly what a lake read
// gives, also when other writers add batches between two refreshes (a correction through the batch
// path) and when keys appear for the first time. Reference: the offline store of a full
// materialisation of the same lake (the newest row per symbol).

const END = new Date('2024-06-30T00:00:00Z');
const DAY = 86_400_000;
// Labels are never online (forward_returns is a label view).
const ONLINE_VIEWS = marketCatalog.views.filter((v) => v.kind !== 'label');
const VIEWS = ONLINE_VIEWS.map((v) => v.name);

describe('online refresh from the cache of recent rows', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let cache: RecentRowsCache;
  const clock = new FixedClock(new Date('2024-07-01T00:00:00Z'));

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    await store.ingest.run(new SyntheticProvider({ symbols: 3, days: 500, seed: 3, endDate: END, gapRate: 0 }), { dataset: 'bars_1d', createAs: 'bars' });
    await applyCatalog(store.features, marketCatalog);
    for (const view of VIEWS) await store.materializer.run({ view });
    cache = await store.onlineRefresh.recentRowsCache('bars_1d');
  });
  afterAll(async () => {
    cache.close();
    await store.close();
    tmp.cleanup();
  });

  // Every online value equals the newest offline row of a full (incremental + revised) materialisation.
  async function expectOnlineEqualsMaterialised(symbols: readonly string[]): Promise<number> {
    // What the refreshes wrote, read before the materialisation (which writes online values too).
    const refreshed = new Map<string, Awaited<ReturnType<typeof store.online.read>>>();
    for (const view of VIEWS) refreshed.set(view, await store.online.read([{ view, version: 1 }], symbols.map((s) => [s])));
    for (const view of VIEWS) await store.materializer.run({ view });
    let compared = 0;
    for (const view of ONLINE_VIEWS) {
      const newest = await query(
        `SELECT * FROM read_parquet('${tmp.dir}/offline/${view.name}/v1/*.parquet')
         QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY event_ts DESC, created_ts DESC) = 1 ORDER BY symbol`,
      );
      const online = refreshed.get(view.name)!;
      symbols.forEach((symbol, i) => {
        const expected = newest.find((r) => r.symbol === symbol)!;
        const row = online[0][i]!;
        expect({ view: view.name, symbol, eventTs: Date.parse(row.eventTs) }).toEqual({ view: view.name, symbol, eventTs: Date.parse(String(expected.event_ts)) });
        for (const f of view.features) {
          const want = expected[f.name] as number | boolean | null;
          const got = row.values[f.name];
          if (typeof want === 'number') expect({ view: view.name, symbol, f: f.name, got }).toEqual({ view: view.name, symbol, f: f.name, got: expect.closeTo(want, 9) });
          else expect({ view: view.name, symbol, f: f.name, got }).toEqual({ view: view.name, symbol, f: f.name, got: want });
          compared++;
        }
      });
    }
    return compared;
  }

  const bar = (symbol: string, ts: number, close: number) => ({ symbol, ts: new Date(ts).toISOString(), open: close, high: close * 1.02, low: close * 0.98, close, volume: 5000.5 });

  it('catches up with batches from other writers and loads keys it has not seen', async () => {
    // First refresh: SYN0001 only, so the cache holds one key.
    await store.onlineRefresh.refreshOnline('bars_1d', ['SYN0001'], new Date(END.getTime() - 5 * DAY), { streamingOnly: true, cache });

    // Another writer: a new bar for SYN0001 and SYN0002, and a correction of SYN0001's bar of five days ago.
    clock.set(new Date('2024-07-02T00:00:00Z'));
    const next = END.getTime() + DAY;
    await store.datasets.ingestRows('bars_1d', [bar('SYN0001', next, 123.25), bar('SYN0002', next, 88.5), bar('SYN0001', END.getTime() - 5 * DAY, 117.75)]);

    // The refresh sees the new batch for the held key and reads SYN0002 from the lake.
    const refreshed = await store.onlineRefresh.refreshOnline('bars_1d', ['SYN0001', 'SYN0002'], new Date(END.getTime() - 5 * DAY), { streamingOnly: true, cache });
    expect(refreshed.map((r) => r.keys)).toEqual(VIEWS.map(() => 2));
    expect(await expectOnlineEqualsMaterialised(['SYN0001', 'SYN0002'])).toBeGreaterThan(20);
  });

  it('goes back to the lake when asked for an older window, and stays right as the window moves on', async () => {
    clock.set(new Date('2024-07-03T00:00:00Z'));
    // An old bar corrected (older than the window held): the cache reads that stretch from the lake.
    const old = END.getTime() - 200 * DAY;
    await store.datasets.ingestRows('bars_1d', [bar('SYN0003', old, 51.5)]);
    await store.onlineRefresh.refreshOnline('bars_1d', ['SYN0003'], new Date(old), { streamingOnly: true, cache });
    // Then new days, one batch each, as a stream brings them: the window moves on past the slack.
    for (let d = 2; d <= 12; d++) {
      clock.set(new Date(Date.parse('2024-07-03T00:00:00Z') + d * 3_600_000));
      const ts = END.getTime() + d * DAY;
      await store.datasets.ingestRows('bars_1d', [bar('SYN0001', ts, 120 + d), bar('SYN0002', ts, 90 - d / 2), bar('SYN0003', ts, 55 + d / 4)]);
      await store.onlineRefresh.refreshOnline('bars_1d', ['SYN0001', 'SYN0002', 'SYN0003'], new Date(ts), { streamingOnly: true, cache });
    }
    expect(await expectOnlineEqualsMaterialised(['SYN0001', 'SYN0002', 'SYN0003'])).toBeGreaterThan(30);
  });

  it('holds exactly the lake\'s rows of its keys over the window asked for, also after reading an older stretch', async () => {
    // Held now: the three keys from a few days back. Another writer corrects a bar of a held key
    // well before that, and adds a new day; then a refresh asks for a window reaching back past it.
    clock.set(new Date('2024-07-04T00:00:00Z'));
    const older = END.getTime() - 90 * DAY;
    const next = END.getTime() + 13 * DAY;
    await store.datasets.ingestRows('bars_1d', [bar('SYN0002', older + 10 * DAY, 61.25), bar('SYN0001', next, 140.5)]);
    const symbols = ['SYN0001', 'SYN0002', 'SYN0003'];
    const rows = async (run: (sql: string) => Promise<Array<Record<string, unknown>>>, from: string) =>
      (await run(`SELECT DISTINCT symbol, ts, open, high, low, close, volume, ingested_at FROM ${from} WHERE ts >= TIMESTAMPTZ '${new Date(older).toISOString()}' AND symbol IN ('SYN0001', 'SYN0002', 'SYN0003') ORDER BY ALL`)).map((r) => JSON.stringify(r));
    const sandbox = await cache.prepare(symbols, new Date(older));
    const held = await rows((sql) => sandbox.session.all(sql), '_cache');
    const lake = await rows((sql) => query(sql), `read_parquet('${tmp.dir}/lake/bars_1d/**/*.parquet', hive_partitioning = true)`);
    expect(lake.length).toBeGreaterThan(3 * 90);
    expect(lake.some((r) => r.includes('61.25'))).toBe(true);
    expect(held).toEqual(lake);
    // And the refreshes over it give what a full materialisation gives.
    await store.onlineRefresh.refreshOnline('bars_1d', symbols, new Date(older), { streamingOnly: true, cache });
    expect(await expectOnlineEqualsMaterialised(symbols)).toBeGreaterThan(30);
  });
});
