import { DuckDbClient, ident, pointInTimeSql, type DuckDbSession, type PointInTimeMode } from '@app/features';

/** A tiny deterministic PRNG, so a failing case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface OfflineRow {
  symbol: string;
  event_ts: number;
  created_ts: number;
  x: number;
}
interface EntityRow {
  symbol: string;
  ts: number;
  label: number;
}

const DAY = 86_400_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

/** Brute force straight from docs/design.md's rules: filter candidates, pick the winner. */
function reference(entity: EntityRow, rows: readonly OfflineRow[], ttlMs: number | null, mode: PointInTimeMode, knownAt: number | null = null): number | null {
  const candidates = rows.filter(
    (r) =>
      r.symbol === entity.symbol &&
      (knownAt === null || r.created_ts <= knownAt) &&
      r.event_ts <= entity.ts &&
      (ttlMs === null || entity.ts - ttlMs <= r.event_ts) &&
      (mode === 'event' || r.created_ts <= entity.ts),
  );
  if (candidates.length === 0) return null;
  // Ties on (event_ts, created_ts) go to the greatest x where the SQL is given x as tie-break.
  candidates.sort((a, b) => b.event_ts - a.event_ts || b.created_ts - a.created_ts || b.x - a.x);
  return candidates[0].x;
}

function randomCase(seed: number): { rows: OfflineRow[]; entities: EntityRow[] } {
  const r = rng(seed);
  const rows: OfflineRow[] = [];
  let x = 0;
  for (const symbol of ['AAA', 'BBB', 'CCC']) {
    for (let d = 0; d < 40; d++) {
      if (r() < 0.15) continue; // gaps
      const event = T0 + d * DAY;
      // Known a little after the event, sometimes exactly at it.
      const created = event + (r() < 0.3 ? 0 : Math.floor(r() * 3) * 3_600_000);
      rows.push({ symbol, event_ts: event, created_ts: created, x: ++x });
      // Corrections: the same event re-computed later with another value.
      if (r() < 0.2) rows.push({ symbol, event_ts: event, created_ts: created + Math.floor(1 + r() * 10) * DAY, x: ++x });
    }
  }
  const entities: EntityRow[] = [];
  for (let i = 0; i < 400; i++) {
    const symbol = ['AAA', 'BBB', 'CCC', 'ZZZ'][Math.floor(r() * 4)];
    const pick = r();
    let ts: number;
    if (pick < 0.25 && rows.length) ts = rows[Math.floor(r() * rows.length)].event_ts; // exact hits
    else if (pick < 0.4 && rows.length) ts = rows[Math.floor(r() * rows.length)].event_ts + 3 * DAY; // TTL edge (ttl 3d)
    else if (pick < 0.5 && rows.length) ts = rows[Math.floor(r() * rows.length)].created_ts; // known exactly then
    else ts = T0 - 2 * DAY + Math.floor(r() * 50 * DAY);
    entities.push({ symbol, ts, label: i });
  }
  entities.push(entities[0], entities[1]); // duplicates are kept
  return { rows, entities };
}

async function load(s: DuckDbSession, rows: readonly OfflineRow[], entities: readonly EntityRow[]): Promise<void> {
  const iso = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`;
  await s.run('CREATE OR REPLACE TEMP TABLE offline (symbol VARCHAR, event_ts TIMESTAMPTZ, created_ts TIMESTAMPTZ, x DOUBLE)');
  await s.run(`INSERT INTO offline VALUES ${rows.map((r) => `('${r.symbol}', ${iso(r.event_ts)}, ${iso(r.created_ts)}, ${r.x})`).join(', ')}`);
  await s.run('CREATE OR REPLACE TEMP TABLE entities (symbol VARCHAR, ts TIMESTAMPTZ, label BIGINT, _row BIGINT)');
  await s.run(`INSERT INTO entities VALUES ${entities.map((e, i) => `('${e.symbol}', ${iso(e.ts)}, ${e.label}, ${i})`).join(', ')}`);
}

describe('point-in-time join (DuckDB ASOF JOIN or TTL-window join) against a brute-force reference', () => {
  let db: DuckDbClient;
  beforeAll(async () => (db = await DuckDbClient.open()));
  afterAll(() => db.close());

  // Plans: the ASOF JOIN, the same with rows outside every TTL window dropped first, and the
  // TTL-window join (only with a TTL).
  const plans = [{}, { prefilter: true }, { windowJoin: true }] as const;
  const cases = (['event', 'knowledge'] as const).flatMap((mode) =>
    [3 * DAY, null].flatMap((ttl) => plans.filter((p) => ttl !== null || !('windowJoin' in p)).map((plan) => ({ mode, ttl, plan }))),
  );
  const describePlan = (plan: (typeof plans)[number]) => ('windowJoin' in plan ? ', TTL-window join' : 'prefilter' in plan ? ', rows outside the TTL windows dropped first' : '');
  // Vintages: none, one inside the data (entity rows after it get values as known then), one at a
  // correction's exact created_ts (the bound is inclusive), one before every row.
  const vintages = (rows: readonly OfflineRow[]): Array<number | null> => {
    const corrected = rows.filter((r, i) => rows.some((o, j) => j < i && o.symbol === r.symbol && o.event_ts === r.event_ts));
    return [null, T0 + 17 * DAY + 7_200_000, corrected.length ? corrected[Math.floor(corrected.length / 2)].created_ts : T0 + 25 * DAY, T0 - DAY];
  };
  for (const { mode, ttl, plan } of cases) {
    it(`agrees on random data with exact hits, TTL edges, corrections, unknown keys and knownAt vintages (${mode} mode, ttl ${ttl === null ? 'none' : '3d'}${describePlan(plan)})`, async () => {
      let vintageDiffers = 0;
      for (const seed of [1, 2, 3, 4, 5]) {
        const { rows, entities } = randomCase(seed);
        for (const knownAt of vintages(rows)) {
          const got = await db.withSession(async (s) => {
            await load(s, rows, entities);
            const view = { view: 'v', version: 1, offline: ident('offline'), keys: ['symbol'], ttlSeconds: ttl === null ? null : ttl / 1000, features: [['x', 'v__x']] as const, uniqueEventTimes: false, ...plan };
            return s.all<{ symbol: string; label: number; v__x: number | null }>(pointInTimeSql('entities', 'ts', [view], mode, knownAt === null ? null : new Date(knownAt)));
          });
          expect(got).toHaveLength(entities.length);
          const expected = entities.map((e) => ({ symbol: e.symbol, label: e.label, v__x: reference(e, rows, ttl, mode, knownAt) }));
          expect(got.map((g) => ({ symbol: g.symbol, label: g.label, v__x: g.v__x }))).toEqual(expected);
          if (knownAt !== null) vintageDiffers += expected.filter((e, i) => e.v__x !== reference(entities[i], rows, ttl, mode)).length;
        }
      }
      expect(vintageDiffers).toBeGreaterThan(50); // the vintages really change answers
    });
  }

  it.each((['event', 'knowledge'] as const).flatMap((mode) => plans.map((plan) => [mode, describePlan(plan) || ', ASOF JOIN', plan] as const)))('the fast path for one row per event time agrees with the reference (%s mode%s)', async (mode, _name, plan) => {
    for (const seed of [6, 7, 8]) {
      const { rows, entities } = randomCase(seed);
      const unique = rows.filter((r, i) => !rows.some((o, j) => j > i && o.symbol === r.symbol && o.event_ts === r.event_ts)); // drop corrections
      const got = await db.withSession(async (s) => {
        await load(s, unique, entities);
        const sql = pointInTimeSql('entities', 'ts', [{ view: 'v', version: 1, offline: ident('offline'), keys: ['symbol'], ttlSeconds: 3 * 86400, features: [['x', 'v__x']], uniqueEventTimes: true, ...plan }], mode);
        return (await s.all<{ v__x: number | null }>(sql)).map((r) => r.v__x);
      });
      expect(got).toEqual(entities.map((e) => reference(e, unique, 3 * DAY, mode)));
    }
  });

  it.each((['event', 'knowledge'] as const).flatMap((mode) => plans.map((plan) => [mode, describePlan(plan) || ', ASOF JOIN', plan] as const)))(
    'settles rows tied on (event_ts, created_ts) by the tie-break column (%s mode%s)',
    async (mode, _name, plan) => {
      for (const seed of [11, 12, 13]) {
        const { rows, entities } = randomCase(seed);
        // Revisions known at the same time as the rows they revise (a source's own ingested_at).
        const r = rng(seed + 100);
        let x = 10_000;
        const tied = [...rows, ...rows.filter(() => r() < 0.3).map((row) => ({ ...row, x: ++x }))];
        const got = await db.withSession(async (s) => {
          await load(s, tied, entities);
          const sql = pointInTimeSql('entities', 'ts', [{ view: 'v', version: 1, offline: ident('offline'), keys: ['symbol'], ttlSeconds: 3 * 86400, features: [['x', 'v__x']], uniqueEventTimes: false, tieBreak: 'x', ...plan }], mode);
          return (await s.all<{ v__x: number | null }>(sql)).map((row) => row.v__x);
        });
        expect(got).toEqual(entities.map((e) => reference(e, tied, 3 * DAY, mode)));
      }
    },
  );

  it('the two modes differ exactly where a later correction would leak backwards', async () => {
    const rows: OfflineRow[] = [
      { symbol: 'AAA', event_ts: T0, created_ts: T0, x: 1 },
      { symbol: 'AAA', event_ts: T0, created_ts: T0 + 5 * DAY, x: 2 }, // corrected five days later
    ];
    const entities: EntityRow[] = [
      { symbol: 'AAA', ts: T0 + DAY, label: 0 },
      { symbol: 'AAA', ts: T0 + 5 * DAY, label: 1 },
    ];
    const run = (mode: PointInTimeMode) =>
      db.withSession(async (s) => {
        await load(s, rows, entities);
        return (await s.all<{ v__x: number }>(pointInTimeSql('entities', 'ts', [{ view: 'v', version: 1, offline: ident('offline'), keys: ['symbol'], ttlSeconds: null, features: [['x', 'v__x']], uniqueEventTimes: false }], mode))).map((r) => r.v__x);
      });
    expect(await run('event')).toEqual([2, 2]);
    expect(await run('knowledge')).toEqual([1, 2]);
  });
});
