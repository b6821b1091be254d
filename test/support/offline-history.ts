import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { symbolEntity, type ColumnStats, type FeatureStore, type FixedClock } from '@app/features';
import { fileListLiteral, sql } from '@app/features';
import { query } from './helpers';

// A view version materialised the way a daily job does it: a first run, then one run per new
// day (one small part each), with a corrected bar and a late bar among the days (a revision
// file). Shared by the offline compaction tests, which compare a compacted copy with this one.

export const DAY = 86_400_000;
export const FIRST = Date.parse('2024-02-20T00:00:00Z');
export const SYMBOLS = ['AAA', 'BBB', 'CCC'];
export const VIEW = 'oc_px';
export const VERSION_DIR = join('offline', VIEW, 'v1');

export const view = {
  name: VIEW,
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  lookback: '5d',
  sql: `SELECT symbol, ts, close AS px, close / lag(close) OVER w - 1 AS ret, CAST(volume AS BIGINT) AS vol,
          close > lag(close) OVER w AS up, CASE WHEN close >= 125 THEN 'high' WHEN close >= 110 THEN 'mid' ELSE 'low' END AS band
        FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
  features: [
    { name: 'px', type: 'DOUBLE' },
    { name: 'ret', type: 'DOUBLE' },
    { name: 'vol', type: 'BIGINT' },
    { name: 'up', type: 'BOOLEAN' },
    { name: 'band', type: 'VARCHAR' },
  ],
};

/** A daily bar of `symbol`, known `knownAfterMs` after its time. */
export function bar(symbol: string, day: number, close: number, knownAfterMs = 60_000): Record<string, unknown> {
  const ts = FIRST + day * DAY;
  return { symbol, ts: new Date(ts).toISOString(), open: close, high: close * 1.01, low: close * 0.99, close, volume: 1000.5 + 37 * day, ingested_at: new Date(ts + knownAfterMs).toISOString() };
}
export const priceOf = (s: number, d: number) => 100 + 10 * s + 5 * Math.sin(d * (s + 1)) + 0.5 * d;

// BBB's bar of this day is missing when the day is materialised; it arrives 10 days late.
const LATE_DAY = 20;

/** Ingests days [from, to) one at a time and materialises after each (the clock a day on each time). */
export async function materializeDaily(
  store: FeatureStore,
  clock: FixedClock,
  from: number,
  to: number,
  extra: ReadonlyMap<number, Array<Record<string, unknown>>> = new Map(),
  symbols: readonly string[] = SYMBOLS,
): Promise<void> {
  for (let d = from; d < to; d++) {
    clock.set(new Date(FIRST + (d + 1) * DAY));
    const onTime = symbols.map((sym, s) => bar(sym, d, priceOf(s, d))).filter((b) => !(b.symbol === 'BBB' && d === LATE_DAY));
    await store.datasets.ingestRows('bars_1d', [...onTime, ...(extra.get(d) ?? [])]);
    await store.materializer.run({ view: VIEW });
  }
}

/** The history: days 0-4 in a first run, then days 5-69 one by one; a correction and a late bar on day 30. */
export async function writeHistory(store: FeatureStore, clock: FixedClock, symbols: readonly string[] = SYMBOLS): Promise<void> {
  clock.set(new Date(FIRST + 5 * DAY));
  await store.datasets.ingestRows('bars_1d', symbols.flatMap((sym, s) => [0, 1, 2, 3, 4].map((d) => bar(sym, d, priceOf(s, d)))));
  await store.features.applyEntity(symbolEntity);
  await store.features.apply(view);
  await store.materializer.run({ view: VIEW });
  // BBB's bar of day 20 arrives late (on day 30); AAA's bar of day 10 is corrected on day 30.
  const late = new Map([[30, [bar('AAA', 10, 190.75, 20 * DAY + 1000), bar('BBB', LATE_DAY, 133.5, 10 * DAY + 1000)]]]);
  await materializeDaily(store, clock, 5, 70, late, symbols);
}

/** The Parquet files in the version's folder (on disk, whatever the journal says). */
export function onDisk(dataDir: string): string[] {
  return readdirSync(join(dataDir, VERSION_DIR)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).sort();
}

/** Every offline row of the files readers get, sorted (no file names: those change). */
export async function offlineRows(store: FeatureStore): Promise<unknown[]> {
  const { files } = await store.offlineStore.files(VIEW, 1);
  return query(sql`SELECT * FROM read_parquet(${fileListLiteral(files)}) ORDER BY ALL`);
}

const entitiesOf = (symbols: readonly string[]) => symbols.flatMap((symbol) => Array.from({ length: 80 }, (_, i) => ({ symbol, ts: new Date(FIRST + i * DAY + 12 * 3_600_000).toISOString() })));

/** What readers answer: training-set digests in each mode, the version's statistics, each symbol's series. */
export async function answers(store: FeatureStore, symbols: readonly string[] = SYMBOLS): Promise<Answers> {
  const entities = entitiesOf(symbols);
  const sets: Record<string, string> = {};
  for (const [name, mode, knownAt] of [
    ['event', 'event', null],
    ['knowledge', 'knowledge', null],
    ['knownAt', 'event', new Date(FIRST + 25 * DAY)],
    ['knownAtKnowledge', 'knowledge', new Date(FIRST + 45 * DAY)],
  ] as const) {
    const features = view.features.map((f) => `${VIEW}:${f.name}`);
    const set = await store.trainingSets.create({ features: { features }, entities: { kind: 'rows', rows: entities }, pointInTime: mode, timestampColumn: 'ts', runId: null, knownAt });
    sets[name] = set.digest;
  }
  const whole = await store.featureStats.versionStats(VIEW, 1);
  const { features: rangeStats, ...range } = await store.featureStats.versionStats(VIEW, 1, { start: new Date(FIRST + 8 * DAY), end: new Date(FIRST + 40 * DAY) });
  const series = [];
  for (const key of symbols.slice(0, 3)) series.push(await store.series.read({ view: VIEW, version: 1, key, features: [], start: null, end: null }));
  return { sets, stats: whole.features, rows: whole.rows, rangeStats, range, series };
}

/** What `answers` returns. */
export interface Answers {
  sets: Record<string, string>;
  stats: ColumnStats[];
  rows: number;
  rangeStats: ColumnStats[];
  range: unknown;
  series: unknown[];
}

/** Two stores answer the same (statistics' moments to rounding: see expectSameStats). */
export function expectSameAnswers(actual: Answers, expected: Answers): void {
  expectSameStats(actual.stats, expected.stats);
  expectSameStats(actual.rangeStats, expected.rangeStats);
  expect({ ...actual, stats: null, rangeStats: null }).toEqual({ ...expected, stats: null, rangeStats: null });
}

/**
 * Statistics of two stores agree: counts, extremes, value counts, quantiles and histograms
 * exactly; mean and std to rounding (kept ones are merged by Chan's formula in another order,
 * exact ones summed by DuckDB over another file layout).
 */
export function expectSameStats(actual: ColumnStats[], expected: ColumnStats[]): void {
  const moments = (c: ColumnStats) => ({ ...c, mean: c.mean === null, std: c.std === null });
  expect(actual.map(moments)).toEqual(expected.map(moments));
  for (const [i, c] of actual.entries()) {
    for (const k of ['mean', 'std'] as const) {
      const [a, e] = [c[k], expected[i][k]];
      if (a !== null && e !== null) expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(e)));
    }
  }
}
