import { FixedClock, type FeatureStore } from '@app/features';
import { openStore, query, tempDataDir } from '../support/helpers';
import { FORWARD_LABEL_SQL, referenceForwardLabels, type LabelBar, type LabelRow } from '../support/reference-labels';

// Labels as known at a past instant. Bars arrive in three batches, each materialised when it
// arrives; the last also corrects a bar inside earlier labels' windows and delivers a bar that
// was missing (late). A training set with knownAt K between the batches must answer what the
// lake said at K: the reference computes the forward labels by hand from the bar versions with
// ingested_at <= K only. Re-creating a set made at K after the second batch gives its digest.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = Date.UTC(2024, 0, 1);
const TTL = 3 * DAY;
const SYMBOLS = ['AAA', 'BBB', 'CCC'];

type Bar = LabelBar & { readonly ingested_at: string };
const bar = (symbol: string, d: number, close: number, ingestedDay = d): Bar => ({
  symbol,
  ts: new Date(FIRST + d * DAY).toISOString(),
  close,
  ingested_at: new Date(FIRST + ingestedDay * DAY + HOUR).toISOString(),
});
const price = (s: number, d: number) => Math.round((100 + 9 * s + d + 3 * Math.sin(d * (s + 2))) * 100) / 100;
const days = (from: number, to: number) =>
  SYMBOLS.flatMap((symbol, s) => Array.from({ length: to - from }, (_, i) => from + i).filter((d) => !(symbol === 'CCC' && d === 20)).map((d) => bar(symbol, d, price(s, d))));

const batches: Bar[][] = [
  days(0, 30),
  days(30, 33),
  [...days(33, 40), bar('AAA', 12, 140, 35), bar('CCC', 20, price(2, 20), 36), bar('BBB', 31, 77, 38)],
];
/** Between the batches' deliveries: after day 32's bar, before the correction (35) and the late bar (36). */
const K = new Date(FIRST + 32 * DAY + 2 * HOUR);

const labelView = { name: 'fwd_lb', entity: 'symbol', source: 'bars', ttl: '3d', lookback: '1d', kind: 'label' as const, sql: FORWARD_LABEL_SQL, features: [{ name: 'fwd_3', type: 'DOUBLE' }, { name: 'up_1', type: 'BOOLEAN' }] };
const featureView = { name: 'px_lb', entity: 'symbol', source: 'bars', ttl: '3d', lookback: '1d', sql: 'SELECT symbol, ts, close FROM source', features: [{ name: 'close', type: 'DOUBLE' }] };

/** The bars as the lake held them at `at`: per (symbol, ts) the newest version ingested by then. */
function barsAsOf(at: Date): LabelBar[] {
  const newest = new Map<string, Bar>();
  for (const b of batches.flat().filter((b) => Date.parse(b.ingested_at) <= at.getTime())) {
    const key = `${b.symbol}|${b.ts}`;
    const seen = newest.get(key);
    if (!seen || Date.parse(b.ingested_at) >= Date.parse(seen.ingested_at)) newest.set(key, b);
  }
  return [...newest.values()];
}

/** The labels of the decision bar (latest bar at or before t, within the TTL), null unless available_at <= cutoff. */
function expected(reference: readonly LabelRow[], symbol: string, t: number, cutoff: number): { fwd_3: number | null; up_1: boolean | null; at: string | null } {
  const bars = reference.filter((r) => r.symbol === symbol && Date.parse(r.ts) <= t);
  const row = bars[bars.length - 1];
  if (!row || Date.parse(row.ts) < t - TTL || row.available_at === null || Date.parse(row.available_at) > cutoff) return { fwd_3: null, up_1: null, at: null };
  return { fwd_3: row.fwd_3 as number, up_1: row.up_1 as boolean, at: row.available_at };
}

describe('labels as known at a past instant (knownAt)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  // The same bars in one batch, materialised once: only the newest row versions stored.
  const fresh = tempDataDir();
  let once: FeatureStore;
  const clock = new FixedClock(new Date(FIRST + 31 * DAY));
  const entities = SYMBOLS.flatMap((symbol) => Array.from({ length: 42 }, (_, d) => [0, 12 * HOUR].map((o) => ({ symbol, ts: new Date(FIRST + d * DAY + o).toISOString() }))).flat());
  const request = { features: { features: ['px_lb:close'] }, labels: ['fwd_lb:fwd_3', 'fwd_lb:up_1'], entities: { kind: 'rows' as const, rows: entities }, pointInTime: 'event' as const, timestampColumn: 'ts', runId: null };

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    await store.datasets.ingestRows('bars', batches[0]);
    await store.features.applyEntity({ name: 'symbol', joinKeys: ['symbol'] });
    await store.features.apply(labelView);
    await store.features.apply(featureView);
    once = await openStore(fresh.dir, clock);
    await once.datasets.ingestRows('bars', batches.flat());
    await once.features.applyEntity({ name: 'symbol', joinKeys: ['symbol'] });
    await once.features.apply(labelView);
    await once.features.apply(featureView);
  }, 60_000);
  afterAll(async () => {
    await store.close();
    await once.close();
    tmp.cleanup();
    fresh.cleanup();
  });

  function check(rows: ReadonlyArray<Record<string, unknown>>, at: Date): number {
    const reference = referenceForwardLabels(barsAsOf(at), { fwd_3: 3 }, { up_1: 1 });
    let known = 0;
    expect(rows).toHaveLength(entities.length);
    rows.forEach((row, i) => {
      const e = entities[i];
      const want = expected(reference, e.symbol, Date.parse(e.ts), at.getTime());
      const got = { fwd_3: row.fwd_lb__fwd_3 as number | null, up_1: row.fwd_lb__up_1, at: row.fwd_lb__available_at === null ? null : new Date(String(row.fwd_lb__available_at)).toISOString() };
      expect({ i, ...e, ...got }).toEqual({ i, ...e, ...want, fwd_3: want.fwd_3 === null ? null : expect.closeTo(want.fwd_3, 12) });
      if (want.at !== null) known++;
    });
    return known;
  }

  it('answers a past vintage as the lake held it then, after a correction and a late bar inside label windows arrived', async () => {
    await store.materializer.run({ view: 'fwd_lb' });
    clock.set(new Date(FIRST + 32 * DAY + HOUR));
    await store.datasets.ingestRows('bars', batches[1]);
    const first = await store.trainingSets.create({ ...request, knownAt: K });
    const before = await store.trainingSetReader.rows(first);
    expect(check(before, K)).toBeGreaterThan(80);

    clock.set(new Date(FIRST + 41 * DAY));
    await store.datasets.ingestRows('bars', batches[2]);
    const again = await store.trainingSets.create({ ...request, knownAt: K });
    check(await store.trainingSetReader.rows(again), K);
    expect(again.digest).toBe(first.digest);
    const recreated = await store.trainingSetVintages.recreate(first.id);
    expect(recreated.digest).toBe(first.digest);

    // Now: the corrected and the late bar count, and the labels they complete differ from K's.
    const now = await store.trainingSets.create(request);
    const rows = await store.trainingSetReader.rows(now);
    check(rows, new Date(now.knownAt!));
    const changed = rows.filter((r, i) => r.fwd_lb__fwd_3 !== before[i].fwd_lb__fwd_3 && before[i].fwd_lb__fwd_3 !== null);
    expect(changed.map((r) => r.symbol).sort()).toEqual(expect.arrayContaining(['AAA', 'BBB', 'CCC']));
  });

  it('never answers a label the store did not know at knownAt, even with only the newest row versions stored', async () => {
    {
      const rows = await once.trainingSetReader.rows(await once.trainingSets.create({ ...request, knownAt: K }));
      // The documented rules by brute force over every bar version: the decision bar is the latest
      // row with ts <= t whose created_ts (newest ingested_at in [ts - lookback, ts]) is <= K; its
      // labels count when available_at <= K and label_created_ts (newest ingested_at in
      // [ts - lookback, available_at], to the last bar while it is null) <= K.
      const versions = batches.flat();
      const newestIngest = (symbol: string, lo: number, hi: number) =>
        Math.max(...versions.filter((b) => b.symbol === symbol && Date.parse(b.ts) >= lo && Date.parse(b.ts) <= hi).map((b) => Date.parse(b.ingested_at)));
      const current = referenceForwardLabels(barsAsOf(new Date(FIRST + 60 * DAY)), { fwd_3: 3 }, { up_1: 1 });
      let notYet = 0;
      rows.forEach((row, i) => {
        const e = entities[i];
        const t = Date.parse(e.ts);
        const seen = current.filter((r) => r.symbol === e.symbol && Date.parse(r.ts) <= t && newestIngest(e.symbol, Date.parse(r.ts) - DAY, Date.parse(r.ts)) <= K.getTime());
        const bar = seen[seen.length - 1];
        const labelKnown = bar && newestIngest(e.symbol, Date.parse(bar.ts) - DAY, bar.available_at === null ? Infinity : Date.parse(bar.available_at));
        const usable = bar && Date.parse(bar.ts) >= t - TTL && bar.available_at !== null && Date.parse(bar.available_at) <= K.getTime();
        const want = usable && labelKnown <= K.getTime() ? expect.closeTo(bar.fwd_3 as number, 12) : null;
        if (usable && labelKnown > K.getTime()) notYet++;
        expect({ i, ...e, value: row.fwd_lb__fwd_3 }).toEqual({ i, ...e, value: want });
      });
      // Rows whose label was matured by K but completed or corrected by bars the store got later.
      expect(notYet).toBeGreaterThan(3);
    }
  });

  it('stores the same label_created_ts from scratch and step by step, as the brute-force rule over the lake', async () => {
    // After the first test the stepwise store has all three batches (materialised as they came).
    await store.materializer.run({ view: 'fwd_lb' });
    await once.materializer.run({ view: 'fwd_lb' });
    const newest = (dir: string) =>
      query<{ symbol: string; ts: string; created: string; known: string; at: string | null }>(`SELECT symbol, strftime(event_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS ts,
        strftime(created_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS created, strftime(label_created_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS known,
        strftime(available_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS at
      FROM read_parquet('${dir}/offline/fwd_lb/v1/**/*.parquet', filename = true, union_by_name = true)
      QUALIFY row_number() OVER (PARTITION BY symbol, event_ts ORDER BY created_ts DESC, label_created_ts DESC, filename DESC) = 1 ORDER BY symbol, event_ts`);
    const versions = batches.flat();
    const newestIngest = (symbol: string, lo: number, hi: number) =>
      new Date(Math.max(...versions.filter((b) => b.symbol === symbol && Date.parse(b.ts) >= lo && Date.parse(b.ts) <= hi).map((b) => Date.parse(b.ingested_at)))).toISOString();
    const expected = referenceForwardLabels(barsAsOf(new Date(FIRST + 60 * DAY)), { fwd_3: 3 }).map((r) => ({
      symbol: r.symbol,
      ts: r.ts,
      created: newestIngest(r.symbol, Date.parse(r.ts) - DAY, Date.parse(r.ts)),
      known: newestIngest(r.symbol, Date.parse(r.ts) - DAY, r.available_at === null ? Infinity : Date.parse(r.available_at)),
      at: r.available_at,
    }));
    expect(await newest(fresh.dir)).toEqual(expected);
    expect(await newest(tmp.dir)).toEqual(expected);
    expect(expected.filter((r) => r.known !== r.created).length).toBeGreaterThan(20);
  });
});
