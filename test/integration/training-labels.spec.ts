import { FixedClock, type FeatureStore } from '@app/features';
import { openStore, tempDataDir } from '../support/helpers';
import { forwardLabelView as labelView, labelBars, referenceForwardLabels, type LabelRow } from '../support/reference-labels';

const DAY = 86_400_000;
const TTL = 3 * DAY;

const featureView = {
  name: 'px',
  entity: 'symbol',
  source: 'bars',
  ttl: '3d',
  sql: 'SELECT symbol, ts, close FROM source',
  features: [{ name: 'close', type: 'DOUBLE' }],
};

/**
 * The brute-force answer for one entity row: the symbol's latest bar at or before t, if within
 * the TTL (t - ttl <= bar <= t), and its labels if their available_at is at or before `cutoff`.
 */
function expected(reference: readonly LabelRow[], symbol: string, t: number, cutoff: number): { fwd_3: number | null; up_1: boolean | null; at: string | null } {
  const candidates = reference.filter((r) => r.symbol === symbol && Date.parse(r.ts) <= t);
  const bar = candidates[candidates.length - 1];
  if (!bar || Date.parse(bar.ts) < t - TTL || bar.available_at === null || Date.parse(bar.available_at) > cutoff) return { fwd_3: null, up_1: null, at: null };
  return { fwd_3: bar.fwd_3 as number | null, up_1: bar.up_1 as boolean | null, at: bar.available_at };
}

describe('training sets with labels', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  const clock = new FixedClock(new Date('2024-03-01T00:00:00Z'));
  // Each bar delivered at its own time: the store knew a label when its last bar was ts.
  const bars = labelBars(['AAA', 'BBB', 'CCC'], 40, 11).map((b) => ({ ...b, ingested_at: b.ts }));
  const reference = referenceForwardLabels(bars, { fwd_3: 3 }, { up_1: 1 });
  // Entity rows on bars, between bars, before the first bar, past the TTL after the last, and a
  // symbol without bars; some repeated (duplicates are kept).
  const entities = ['AAA', 'BBB', 'CCC'].flatMap((symbol) =>
    Array.from({ length: 48 }, (_, d) => [0, 3_600_000, DAY - 1].map((o) => ({ symbol, ts: new Date(Date.UTC(2023, 11, 30) + d * DAY + o).toISOString(), y: d }))).flat(),
  );
  entities.push({ symbol: 'ZZZ', ts: '2024-01-10T00:00:00.000Z', y: -1 }, entities[40]);

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    await store.datasets.ingestRows('bars', bars);
    await store.features.applyEntity({ name: 'symbol', joinKeys: ['symbol'] });
    await store.features.apply(labelView);
    await store.features.apply(featureView);
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  async function labelled(cutoff: Date): Promise<Array<Record<string, unknown>>> {
    clock.set(cutoff);
    const set = await store.trainingSets.create({
      features: { features: ['px:close'] },
      labels: ['fwd:fwd_3', 'fwd:up_1'],
      entities: { kind: 'rows', rows: entities },
      pointInTime: 'event',
      timestampColumn: 'ts',
      runId: null,
      // The set's vintage is the labels' cutoff (without knownAt: its creation time, or the newest
      // created_ts when that is later, as it is here with the clock set back).
      knownAt: cutoff,
    });
    expect(set.knownAt).toBe(cutoff.toISOString());
    expect(set.columns).toEqual(['symbol', 'ts', 'y', 'px__close', 'fwd__fwd_3', 'fwd__up_1', 'fwd__available_at']);
    expect(set.labels).toEqual([
      { view: 'fwd', version: 1, label: 'fwd_3' },
      { view: 'fwd', version: 1, label: 'up_1' },
    ]);
    return store.trainingSetReader.rows(set);
  }

  function check(rows: Array<Record<string, unknown>>, cutoff: Date): { known: number; unknown: number } {
    expect(rows).toHaveLength(entities.length);
    let known = 0;
    let unknown = 0;
    rows.forEach((row, i) => {
      const e = entities[i];
      const want = expected(reference, e.symbol, Date.parse(e.ts), cutoff.getTime());
      const got = { fwd_3: row.fwd__fwd_3 as number | null, up_1: row.fwd__up_1, at: row.fwd__available_at === null ? null : new Date(String(row.fwd__available_at)).toISOString() };
      expect({ i, symbol: row.symbol, y: row.y, ...got }).toEqual({ i, symbol: e.symbol, y: e.y, ...want, fwd_3: want.fwd_3 === null ? null : expect.closeTo(want.fwd_3, 12) });
      if (want.at === null) unknown++;
      else known++;
    });
    return { known, unknown };
  }

  it('joins each row with the labels of the bar its features see, as the brute-force reference', async () => {
    const counts = check(await labelled(new Date('2024-03-01T00:00:00Z')), new Date('2024-03-01T00:00:00Z'));
    expect(counts.known).toBeGreaterThan(300);
    expect(counts.unknown).toBeGreaterThan(20);
  });

  it('leaves a label null until its available_at: known exactly at the cutoff, not one millisecond before', async () => {
    const at = reference.find((r) => r.symbol === 'AAA' && r.ts === '2024-01-10T00:00:00.000Z')!.available_at!;
    const exactly = await labelled(new Date(at));
    const before = await labelled(new Date(Date.parse(at) - 1));
    check(exactly, new Date(at));
    check(before, new Date(Date.parse(at) - 1));
    const row = entities.findIndex((e) => e.symbol === 'AAA' && e.ts === '2024-01-10T00:00:00.000Z');
    expect(new Date(String(exactly[row].fwd__available_at)).toISOString()).toBe(at);
    expect(before[row]).toMatchObject({ fwd__fwd_3: null, fwd__up_1: null, fwd__available_at: null });
    // Features of rows before both cutoffs do not depend on them (later bars were not known yet).
    const early = (rows: Array<Record<string, unknown>>) => rows.filter((_, i) => Date.parse(entities[i].ts) < Date.parse(at) - 1).map((r) => r.px__close);
    expect(early(before)).toEqual(early(exactly));
    expect(early(before).filter((v) => v !== null).length).toBeGreaterThan(50);
  });

  it('refuses a label view among features and a feature view among labels (422 naming the field and view)', async () => {
    const base = { entities: { kind: 'rows' as const, rows: entities.slice(0, 2) }, pointInTime: 'event' as const, timestampColumn: 'ts', runId: null };
    await expect(store.trainingSets.create({ ...base, features: { features: ['px:close', 'fwd:fwd_3'] } })).rejects.toMatchObject({
      code: 'LABEL_MISUSE',
      details: { field: 'features[1]', view: 'fwd' },
    });
    await expect(store.trainingSets.create({ ...base, features: { features: ['px:close'] }, labels: ['fwd:up_1', 'px:close'] })).rejects.toMatchObject({
      code: 'LABEL_MISUSE',
      details: { field: 'labels[1]', view: 'px' },
    });
    await expect(store.trainingSets.create({ ...base, features: { features: ['px:close'] }, labels: ['fwd:nope'] })).rejects.toMatchObject({ code: 'UNKNOWN_FEATURE', details: { field: 'labels[0]' } });
    await expect(store.trainingSets.create({ ...base, features: { features: ['px:close'] }, labels: ['fwd:up_1', 'fwd:up_1'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
