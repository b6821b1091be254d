import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixedClock, finishSummary, SKETCH_ALPHA, sketchOf, symbolEntity, type ColumnStats, type FeatureStore } from '@app/features';
import { merge } from '../../libs/features/src/stats/part-stats.service';
import type { PartStatsRecord } from '../../libs/features/src/stats/part-stats.repository';
import { openStore, tempDataDir } from '../support/helpers';
import { referenceStats, type ReferenceColumn } from '../support/reference-stats';

// Statistics kept per offline file through a first materialisation, ten more days and a
// revision (a corrected bar and a late one), checked against pandas/numpy over the offline rows
// (the current row per key and event time picked by sorting, independently of the store's SQL).

const DAY = 86_400_000;
const FIRST = Date.parse('2024-03-01T00:00:00Z');
const SYMBOLS = ['AAA', 'BBB', 'CCC'];
const KEYS = ['symbol'];
const FEATURES = ['px', 'ret', 'vol', 'up', 'band'];

function bar(symbol: string, day: number, close: number, knownAfterMs = 60_000): Record<string, unknown> {
  const ts = FIRST + day * DAY;
  return { symbol, ts: new Date(ts).toISOString(), open: close, high: close * 1.01, low: close * 0.99, close, volume: 1000.5 + 37 * day, ingested_at: new Date(ts + knownAfterMs).toISOString() };
}
const priceOf = (s: number, d: number) => 100 + 10 * s + 5 * Math.sin(d * (s + 1)) + 0.5 * d;
const days = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const view = {
  name: 'stats_px',
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

const near = (a: unknown, b: number, rel = 1e-9) => Math.abs(Number(a) - b) <= rel * Math.max(1, Math.abs(b));

/** Checks one column's profile against the reference: exact, or within the sketch's bound. */
function check(actual: ColumnStats, ref: ReferenceColumn, exact: boolean): void {
  const where = `${actual.name}`;
  expect({ where, count: actual.count, nulls: actual.nulls }).toEqual({ where, count: ref.count, nulls: ref.nulls });
  if (ref.values) {
    expect(Object.fromEntries((actual.values ?? []).map((v) => [String(v.value), v.count]))).toEqual(ref.values);
    return;
  }
  for (const k of ['mean', 'std', 'min', 'max'] as const) if (!near(actual[k], ref[k]!)) throw new Error(`${where}.${k}: ${String(actual[k])}, reference ${ref[k]}`);
  const sorted = ref.sorted!;
  for (const [k, q] of Object.entries({ p1: 0.01, p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 })) {
    const got = actual.quantiles![k as 'p1'] as number;
    const r = q * (sorted.length - 1);
    const allowed = exact ? 1e-9 * Math.max(1, Math.abs(ref.quantiles![k])) : SKETCH_ALPHA * Math.max(Math.abs(sorted[Math.floor(r)]), Math.abs(sorted[Math.ceil(r)])) * 1.0001 + 1e-12;
    if (Math.abs(got - ref.quantiles![k]) > allowed) throw new Error(`${where}.${k}: ${got}, reference ${ref.quantiles![k]} (allowed ${allowed})`);
  }
  const h = actual.histogram!;
  expect(h.counts.reduce((a, b) => a + b, 0)).toBe(ref.count);
  h.edges.forEach((e, i) => expect(near(e, ref.histogram!.edges[i])).toBe(true));
  if (exact) expect(h.counts).toEqual(ref.histogram!.counts);
  else {
    // A value may land in a neighbouring bin only when an edge lies within α·|x| of it.
    const movable = sorted.filter((v) => h.edges.some((e) => Math.abs(v - e) <= SKETCH_ALPHA * Math.abs(v) * 1.0001 + 1e-12)).length;
    const moved = h.counts.reduce((a, c, i) => a + Math.abs(c - ref.histogram!.counts[i]), 0) / 2;
    expect(moved).toBeLessThanOrEqual(movable);
  }
}

describe('feature statistics kept per offline file', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let dir: string;
  const clock = new FixedClock(new Date('2024-05-01T00:00:00Z'));
  const parquet = () => readdirSync(dir).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).map((f) => join(dir, f));

  // The statistics as kept on disk: every file's record merged (no recomputation).
  function kept(): ColumnStats[] {
    const records = parquet().map((f) => {
      expect(existsSync(`${f}.stats.json`)).toBe(true);
      return JSON.parse(readFileSync(`${f}.stats.json`, 'utf8')) as PartStatsRecord;
    });
    return merge(view.features, records).columns.map(finishSummary);
  }

  function expectMatchesReference(stats: ColumnStats[], exact: boolean, range: { start?: string; end?: string } = {}): number {
    const ref = referenceStats({ files: parquet(), keys: KEYS, columns: FEATURES, dedupe: true, ...range });
    expect(stats.map((s) => s.name)).toEqual(FEATURES);
    for (const s of stats) check(s, ref.columns[s.name], exact);
    return ref.rows;
  }

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    dir = join(tmp.dir, 'offline', 'stats_px', 'v1');
    // BBB's bar of day 20 is missing at first: it arrives late.
    await store.datasets.ingestRows('bars_1d', SYMBOLS.flatMap((sym, s) => days(0, 30).filter((d) => !(sym === 'BBB' && d === 20)).map((d) => bar(sym, d, priceOf(s, d)))));
    await store.features.applyEntity(symbolEntity);
    await store.features.apply(view);
    await store.materializer.run({ view: 'stats_px' });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('keeps exact moments and sketch quantiles of the first materialisation', async () => {
    const rows = expectMatchesReference(kept(), false);
    // The buckets DuckDB computed are the ones the TypeScript sketch computes from pandas' values.
    const records = parquet().map((f) => JSON.parse(readFileSync(`${f}.stats.json`, 'utf8')) as PartStatsRecord);
    const ref = referenceStats({ files: parquet(), keys: KEYS, columns: ['px', 'ret', 'vol'], dedupe: true });
    for (const name of ['px', 'ret', 'vol']) expect(merge(view.features, records).columns.find((c) => c.name === name)!.sketch).toEqual(sketchOf(ref.columns[name].sorted!));
    const answered = await store.featureStats.versionStats('stats_px', 1);
    expect(answered).toMatchObject({ view: 'stats_px', version: 1, range: null, rows, exact: false });
    expect(answered.features).toEqual(kept());
  });

  it('adds the record of a new part and leaves the old records as they were', async () => {
    const before = new Map(parquet().map((f) => [f, readFileSync(`${f}.stats.json`, 'utf8')]));
    clock.set(new Date('2024-05-02T00:00:00Z'));
    await store.datasets.ingestRows('bars_1d', SYMBOLS.flatMap((sym, s) => days(30, 40).map((d) => bar(sym, d, priceOf(s, d)))));
    const run = await store.materializer.run({ view: 'stats_px' });
    expect(run.rows).toBe(30);
    for (const [f, text] of before) expect(readFileSync(`${f}.stats.json`, 'utf8')).toBe(text);
    expect(parquet()).toHaveLength(before.size + 1);
    expect(expectMatchesReference(kept(), false)).toBe(3 * 40 - 1);
  });

  it('stays correct after a revision: superseded rows leave the records of their files', async () => {
    clock.set(new Date('2024-05-03T00:00:00Z'));
    await store.datasets.ingestRows('bars_1d', [bar('AAA', 10, 190.75, 5 * DAY), bar('BBB', 20, 133.5, 5 * DAY), bar('CCC', 35, 40.25, 2 * DAY)]);
    const run = await store.materializer.run({ view: 'stats_px' });
    expect(run.revisedRows).toBeGreaterThan(5);
    const ledger = JSON.parse(readFileSync(join(dir, 'stats-revisions.json'), 'utf8')) as { revisions: string[] };
    expect(ledger.revisions).toEqual(parquet().map((f) => f.slice(dir.length + 1)).filter((n) => n.startsWith('rev-')));
    // Old rows are still in the files: without superseding, counts would exceed the reference's.
    expect(expectMatchesReference(kept(), false)).toBe(3 * 40);
    expect((await store.featureStats.versionStats('stats_px', 1)).rows).toBe(3 * 40);
  });

  it('answers the same without a file\'s record or the ledger (a version older than statistics), computing them in memory', async () => {
    const keptNow = kept();
    const part = parquet().find((f) => !f.includes('rev-'))!;
    const saved = readFileSync(`${part}.stats.json`, 'utf8');
    const ledger = readFileSync(join(dir, 'stats-revisions.json'), 'utf8');
    rmSync(`${part}.stats.json`);
    rmSync(join(dir, 'stats-revisions.json'));
    try {
      expect((await store.featureStats.versionStats('stats_px', 1)).features).toEqual(keptNow);
      expect(existsSync(`${part}.stats.json`)).toBe(false); // a read never writes records
    } finally {
      writeFileSync(`${part}.stats.json`, saved);
      writeFileSync(join(dir, 'stats-revisions.json'), ledger);
    }
  });

  it('computes a range exactly, over the current rows in it', async () => {
    const start = new Date(FIRST + 8 * DAY).toISOString();
    const end = new Date(FIRST + 22 * DAY).toISOString();
    const answered = await store.featureStats.versionStats('stats_px', 1, { start: new Date(start), end: new Date(end) });
    expect(answered).toMatchObject({ exact: true, range: { start, end } });
    expect(answered.rows).toBe(expectMatchesReference(answered.features, true, { start, end }));
    // A range over everything agrees with the kept statistics wherever those are exact.
    const whole = await store.featureStats.versionStats('stats_px', 1, { start: new Date(FIRST - DAY) });
    const keptNow = kept();
    whole.features.forEach((f, i) => expect({ ...f, quantiles: null, histogram: null, mean: null, std: null }).toEqual({ ...keptNow[i], quantiles: null, histogram: null, mean: null, std: null }));
  });

  it('refuses an unknown version, a version not materialised and start after end', async () => {
    await expect(store.featureStats.versionStats('stats_px', 9)).rejects.toMatchObject({ code: 'UNKNOWN_FEATURE_VIEW' });
    await store.features.apply({ ...view, sql: view.sql.replace('125', '126') });
    await expect(store.featureStats.versionStats('stats_px', 2)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.featureStats.versionStats('stats_px', 1, { start: new Date(FIRST + DAY), end: new Date(FIRST) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'start' } });
  });
});
