import { readdirSync } from 'node:fs';
import { FixedClock, symbolEntity, type FeatureStore } from '@app/features';
import { openStore, query, tempDataDir } from '../support/helpers';

// A materialisation that fails half-way (one part written, the next one failing) must leave
// nothing a reader would take as materialised: the next run computes that range again, and the
// offline store then holds one row per (symbol, event time), with the values of the data as it is
// by then (here a bar corrected between the two runs). Reference: the lake's current bars.

const DAY = 86_400_000;
const FIRST = Date.parse('2024-01-01T00:00:00Z');
const DAYS = 90;
const POISON_VOLUME = 12345;

function bar(symbol: string, day: number, close: number, volume = 1000.5, ingestedAt?: string): Record<string, unknown> {
  const ts = new Date(FIRST + day * DAY).toISOString();
  return { symbol, ts, open: close, high: close * 1.01, low: close * 0.99, close, volume, ...(ingestedAt ? { ingested_at: ingestedAt } : {}) };
}

const priceOf = (s: number, day: number) => 50 + 5 * s + day / 2 + 0.125;

// The view's SQL fails on a bar with the poison volume: a run over such a bar stops with an error.
const view = {
  name: 'fragile_close',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  lookback: '1d',
  sql: `SELECT symbol, ts, CASE WHEN volume = ${POISON_VOLUME} THEN CAST(error('poison bar') AS DOUBLE) ELSE close END AS px FROM source`,
  features: [{ name: 'px', type: 'DOUBLE' }],
};

describe('a materialisation interrupted half-way', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  const clock = new FixedClock(new Date('2024-04-01T00:00:00Z'));
  const dir = () => `${tmp.dir}/offline/fragile_close/v1`;

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    await store.datasets.ingestRows('bars_1d', ['AAA', 'BBB'].flatMap((symbol, s) => Array.from({ length: DAYS }, (_, d) => bar(symbol, d, priceOf(s, d)))));
    await store.features.applyEntity(symbolEntity);
    await store.features.apply(view);
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('leaves no part file behind that the next run would compute again', async () => {
    // Materialised first over the middle of the data only.
    await store.materializer.run({ view: 'fragile_close', start: new Date(FIRST + 30 * DAY), end: new Date(FIRST + 60 * DAY) });
    // The part and its statistics summary (stats-revisions.json comes only with a revision).
    expect(readdirSync(dir()).sort()).toEqual(readdirSync(dir()).filter((f) => f.endsWith('.parquet')).flatMap((f) => [f, `${f}.stats.json`]).sort());
    expect(readdirSync(dir()).filter((f) => f.endsWith('.parquet'))).toHaveLength(1);

    // A poison bar late in the data: the next run writes the part before the materialised range,
    // then fails on the part after it.
    clock.set(new Date('2024-04-02T00:00:00Z'));
    await store.datasets.ingestRows('bars_1d', [bar('AAA', 80, priceOf(0, 80), POISON_VOLUME)]);
    await expect(store.materializer.run({ view: 'fragile_close' })).rejects.toThrow(/poison bar/);
    const afterFailure = readdirSync(dir()).filter((f) => f.endsWith('.parquet'));
    expect(afterFailure).toHaveLength(2); // the recorded part and the one written before the failure

    // Between the runs: a bar inside the unrecorded part is corrected, the poison bar fixed.
    clock.set(new Date('2024-04-03T00:00:00Z'));
    await store.datasets.ingestRows('bars_1d', [bar('BBB', 10, 77.375), bar('AAA', 80, priceOf(0, 80))]);
    const result = await store.materializer.run({ view: 'fragile_close' });
    expect(result.state).toMatchObject({ start: new Date(FIRST).toISOString(), end: new Date(FIRST + (DAYS - 1) * DAY).toISOString() });

    // The unrecorded part went with its summary: every summary left has its part.
    for (const f of readdirSync(dir()).filter((n) => n.endsWith('.stats.json'))) expect(readdirSync(dir())).toContain(f.replace(/\.stats\.json$/, ''));
    const counts = await query<{ rows: number; keys: number }>(`SELECT count(*) AS rows, count(DISTINCT (symbol, event_ts)) AS keys FROM read_parquet('${dir()}/*.parquet')`);
    expect(counts).toEqual([{ rows: 2 * DAYS, keys: 2 * DAYS }]);
    const corrected = await query<{ px: number }>(`SELECT px FROM read_parquet('${dir()}/*.parquet') WHERE symbol = 'BBB' AND event_ts = TIMESTAMPTZ '${new Date(FIRST + 10 * DAY).toISOString()}'`);
    expect(corrected).toEqual([{ px: 77.375 }]);

    // A training set over those days answers with the corrected value (the TTL-window join and
    // the ASOF JOIN alike: one row per event time is what they count on).
    const t = new Date(FIRST + 10 * DAY + 3_600_000).toISOString();
    const set = await store.trainingSets.create({
      features: { features: ['fragile_close:px'] },
      entities: { kind: 'rows', rows: [{ symbol: 'BBB', ts: t }, { symbol: 'AAA', ts: t }] },
      pointInTime: 'event',
      timestampColumn: 'ts',
      runId: null,
    });
    expect((await store.trainingSetReader.rows(set)).map((r) => r.fragile_close__px)).toEqual([77.375, priceOf(0, 10)]);
  });
});
