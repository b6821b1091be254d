import { DuckDbClient, FixedClock, fileListLiteral, sql, symbolEntity, type FeatureStore, type SqlRow } from '@app/features';
import { openStore, tempDataDir } from '../support/helpers';

// Symbols that would break SQL written by concatenation go through materialisation (parts and a
// revision) and the online refresh (from the lake and from the cache of recent rows), and come
// back unchanged. Reference: the bars as ingested, read back from the offline files by a separate
// DuckDB with the symbols bound as parameters.

const HOSTILE = ["O'Brien", 'say "hi"', 'back\\slash', 'semi;colon', 'dash--dash', 'line\nbreak', 'Zürich €', "'; DROP TABLE source; --"];
const DAY = 86_400_000;
const FIRST = Date.parse('2024-01-01T00:00:00Z');
const DAYS = 20;

const priceOf = (s: number, day: number) => 10 + 3 * s + day + 0.5;

function bar(symbol: string, day: number, close: number): Record<string, unknown> {
  return { symbol, ts: new Date(FIRST + day * DAY).toISOString(), open: close, high: close + 1, low: close - 1, close, volume: 100.5 };
}

const view = {
  name: 'hostile_px',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  lookback: '2d',
  stream: true,
  sql: 'SELECT symbol, ts, close AS px, close - lag(close) OVER (PARTITION BY symbol ORDER BY ts) AS diff FROM source',
  features: [
    { name: 'px', type: 'DOUBLE' },
    { name: 'diff', type: 'DOUBLE' },
  ],
};

describe('materialisation and online refresh of hostile symbols', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let reader: DuckDbClient;
  const clock = new FixedClock(new Date('2024-02-01T00:00:00Z'));

  // The version's newest offline row of each (symbol, event time): what event-mode readers answer with.
  async function offline(symbol: string): Promise<SqlRow[]> {
    const { files } = await store.offlineStore.files('hostile_px', 1);
    return reader.withSession((s) =>
      s.all(sql`SELECT symbol, event_ts, px, diff FROM read_parquet(${fileListLiteral(files)}) WHERE symbol = ${symbol}
                QUALIFY row_number() OVER (PARTITION BY symbol, event_ts ORDER BY created_ts DESC) = 1 ORDER BY event_ts`),
    );
  }

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    reader = await DuckDbClient.open({ threads: 1 });
    await store.datasets.ingestRows('bars_1d', HOSTILE.flatMap((symbol, s) => Array.from({ length: DAYS }, (_, d) => bar(symbol, d, priceOf(s, d)))));
    await store.features.applyEntity(symbolEntity);
    await store.features.apply(view);
  });
  afterAll(async () => {
    reader.close();
    await store.close();
    tmp.cleanup();
  });

  it('materialises every symbol under its own name, and revises a corrected bar of one', async () => {
    const first = await store.materializer.run({ view: 'hostile_px' });
    expect(first.rows).toBe(HOSTILE.length * DAYS);
    for (const [s, symbol] of HOSTILE.entries()) {
      const rows = await offline(symbol);
      expect(rows.map((r) => [r.symbol, r.px])).toEqual(Array.from({ length: DAYS }, (_, d) => [symbol, priceOf(s, d)]));
    }

    // A correction of the quote-holding symbol's day 10: the next run revises it and the day after
    // (new values), and day 12 (same values; the correction is inside its 2-day lookback, so its
    // created_ts moves on).
    clock.set(new Date('2024-02-02T00:00:00Z'));
    await store.datasets.ingestRows('bars_1d', [bar(HOSTILE[0], 10, 99.25)]);
    const revised = await store.materializer.run({ view: 'hostile_px' });
    expect(revised.revisedRows).toBe(3);
    const rows = await offline(HOSTILE[0]);
    expect(rows[10]).toMatchObject({ symbol: HOSTILE[0], px: 99.25, diff: 99.25 - priceOf(0, 9) });
    expect(rows[11]).toMatchObject({ symbol: HOSTILE[0], px: priceOf(0, 11), diff: priceOf(0, 11) - 99.25 });
    // The other symbols' rows are untouched.
    expect((await offline(HOSTILE[1])).map((r) => r.px)).toEqual(Array.from({ length: DAYS }, (_, d) => priceOf(1, d)));
  });

  it('refreshes the online values of the symbols, from the lake and from the cache', async () => {
    const since = new Date(FIRST + DAYS * DAY);
    const expectOnline = async (day: number, close: (s: number) => number) => {
      const online = await store.online.read([{ view: 'hostile_px', version: 1 }], HOSTILE.map((symbol) => [symbol]));
      HOSTILE.forEach((symbol, s) => {
        const row = online[0][s];
        expect({ symbol, eventTs: row && Date.parse(row.eventTs), px: row?.values.px }).toEqual({ symbol, eventTs: FIRST + day * DAY, px: close(s) });
      });
    };

    clock.set(new Date('2024-02-03T00:00:00Z'));
    await store.datasets.ingestRows('bars_1d', HOSTILE.map((symbol, s) => bar(symbol, DAYS, priceOf(s, DAYS) + 0.25)));
    const fromLake = await store.onlineRefresh.refreshOnline('bars_1d', HOSTILE, since);
    expect(fromLake).toEqual([expect.objectContaining({ view: 'hostile_px', version: 1, keys: HOSTILE.length, written: HOSTILE.length })]);
    await expectOnline(DAYS, (s) => priceOf(s, DAYS) + 0.25);

    const cache = await store.onlineRefresh.recentRowsCache('bars_1d');
    try {
      await store.onlineRefresh.refreshOnline('bars_1d', HOSTILE.slice(0, 3), since, { streamingOnly: true, cache });
      clock.set(new Date('2024-02-04T00:00:00Z'));
      await store.datasets.ingestRows('bars_1d', HOSTILE.map((symbol, s) => bar(symbol, DAYS + 1, priceOf(s, DAYS + 1) + 0.75)));
      // Held keys catch up with the new batch; the others are read from the lake.
      const fromCache = await store.onlineRefresh.refreshOnline('bars_1d', HOSTILE, new Date(since.getTime() + DAY), { streamingOnly: true, cache });
      expect(fromCache.map((r) => r.keys)).toEqual([HOSTILE.length]);
      await expectOnline(DAYS + 1, (s) => priceOf(s, DAYS + 1) + 0.75);
    } finally {
      cache.close();
    }
  });
});
