import { DuckDbClient, defineFeatureView, expiresAtMs, ident, longestSeconds, lookbackMs, parseTimeSpan, pointInTimeSql, raw, sessionExpirySql, sql, ttlJoinInput, type DuckDbSession, type PointInTimeMode } from '@app/features';
import { exchangeCalendarSessions } from '../../support/exchange-calendars';

// TTLs counted in sessions, against a brute force over exchange_calendars' sessions: a value with
// event time e is valid at t when t <= the close of the n-th session whose close is after e.
const closes: number[] = exchangeCalendarSessions('2000-01-01', '2035-12-31').calendars.XNYS.map(([, , close]) => Date.parse(close));

function referenceExpiry(eventMs: number, n: number): number | null {
  let lo = 0;
  let hi = closes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (closes[mid] > eventMs) hi = mid;
    else lo = mid + 1;
  }
  return lo + n - 1 < closes.length ? closes[lo + n - 1] : null;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('TTL in sessions (XNYS) against a brute force over exchange_calendars', () => {
  let db: DuckDbClient;
  beforeAll(async () => (db = await DuckDbClient.open()));
  afterAll(() => db.close());

  it.each([1, 2, 5])('the expiry SQL and expiresAtMs agree with the reference at closes, around them and at odd hours 2000-2035 (%i sessions)', async (n) => {
    const span = parseTimeSpan(`${n} sessions`, 'ttl', 'XNYS');
    if (span.kind !== 'sessions') throw new Error('expected sessions');
    const instants: number[] = [];
    for (const c of closes) instants.push(c, c - 1000, c + 1000);
    for (let t = Date.UTC(2000, 0, 1); t < Date.UTC(2036, 0, 1); t += 7 * 3_600_000 + 13 * 60_000) instants.push(t);
    const got = await db.withSession(async (s: DuckDbSession) => {
      await s.run(sql`CREATE OR REPLACE TEMP TABLE instants AS SELECT to_timestamp(unnest(${instants.map((t) => String(t / 1000))})::DOUBLE) AS e`);
      return s.all<{ e: number; x: number | null }>(sql`SELECT epoch_ms(e) AS e, epoch_ms(${sessionExpirySql(span, raw('e'))}) AS x FROM instants ORDER BY rowid`);
    });
    const wrong: string[] = [];
    got.forEach((row, i) => {
      const expected = referenceExpiry(instants[i], n);
      const fromSql = row.x === null ? null : Number(row.x);
      const fromTs = expiresAtMs(span, instants[i]);
      if (Number(row.e) !== instants[i] || fromSql !== expected || (expected === null ? fromTs !== Number.NEGATIVE_INFINITY : fromTs !== expected)) {
        wrong.push(`${new Date(instants[i]).toISOString()}: sql ${fromSql}, ts ${fromTs}, reference ${expected}`);
      }
    });
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(got.length).toBeGreaterThan(60_000);
    // The pruning width of the point-in-time join holds every value's whole life.
    const longest = longestSeconds(span) * 1000;
    expect(instants.filter((t) => referenceExpiry(t, n) !== null && referenceExpiry(t, n)! - t > longest)).toEqual([]);
  });

  it.each([1, 5, 20])('a lookback of %i sessions reaches back to the close of the n-th session before any instant', (n) => {
    const view = defineFeatureView({ name: 'v', entity: 'symbol', source: 'eq', sql: 'SELECT 1', features: [{ name: 'x', type: 'DOUBLE' }], lookback: `${n} sessions`, calendar: 'XNYS' });
    const ms = lookbackMs(view)!;
    const short: string[] = [];
    for (let t = Date.UTC(2000, 2, 1); t < Date.UTC(2035, 11, 1); t += 5 * 3_600_000 + 11 * 60_000) {
      const before = closes.filter((c) => c < t);
      if (t - before[before.length - n] > ms) short.push(new Date(t).toISOString());
    }
    expect(short).toEqual([]);
    // Not absurdly long either: the longest stretch is around 9/11 (closed a whole week).
    expect(ms).toBeLessThanOrEqual((n * 2 + 9) * 86_400_000);
  });

  // The point-in-time join with daily bars at XNYS closes (some missing), entity rows at closes,
  // just after them, on weekends, holidays and at random times.
  const DAY = 86_400_000;
  interface Offline {
    symbol: string;
    event_ts: number;
    created_ts: number;
    x: number;
  }
  function randomCase(seed: number): { rows: Offline[]; entities: Array<{ symbol: string; ts: number; label: number }> } {
    const r = rng(seed);
    const window = closes.filter((c) => c >= Date.UTC(2021, 10, 1) && c < Date.UTC(2022, 1, 1));
    const rows: Offline[] = [];
    let x = 0;
    for (const symbol of ['AAA', 'BBB']) {
      for (const c of window) {
        if (r() < 0.2) continue;
        const created = c + (r() < 0.5 ? 0 : Math.floor(r() * 5) * 3_600_000);
        rows.push({ symbol, event_ts: c, created_ts: created, x: ++x });
        if (r() < 0.1) rows.push({ symbol, event_ts: c, created_ts: created + 2 * DAY, x: ++x });
      }
    }
    const entities = [];
    for (let i = 0; i < 500; i++) {
      const symbol = ['AAA', 'BBB', 'ZZZ'][Math.floor(r() * 3)];
      const base = window[Math.floor(r() * window.length)];
      const pick = r();
      const ts = pick < 0.2 ? base : pick < 0.3 ? base + 1000 : pick < 0.4 ? base - 1000 : pick < 0.6 ? base + Math.floor(r() * 4) * DAY : base + Math.floor(r() * 5 * DAY);
      entities.push({ symbol, ts, label: i });
    }
    return { rows, entities };
  }
  function reference(e: { symbol: string; ts: number }, rows: readonly Offline[], n: number, mode: PointInTimeMode): number | null {
    const candidates = rows.filter((o) => o.symbol === e.symbol && o.event_ts <= e.ts && e.ts <= referenceExpiry(o.event_ts, n)! && (mode === 'event' || o.created_ts <= e.ts));
    candidates.sort((a, b) => b.event_ts - a.event_ts || b.created_ts - a.created_ts || b.x - a.x);
    return candidates[0]?.x ?? null;
  }

  const plans = [{}, { prefilter: true }, { windowJoin: true }] as const;
  it.each((['event', 'knowledge'] as const).flatMap((mode) => [1, 2].flatMap((n) => plans.map((plan) => [mode, n, JSON.stringify(plan), plan] as const))))(
    'the point-in-time join keeps a value until the n-th session close after it (%s mode, %i sessions, plan %s)',
    async (mode, n, _name, plan) => {
      for (const seed of [1, 2, 3]) {
        const { rows, entities } = randomCase(seed);
        const got = await db.withSession(async (s) => {
          const iso = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`;
          await s.run('CREATE OR REPLACE TEMP TABLE offline (symbol VARCHAR, event_ts TIMESTAMPTZ, created_ts TIMESTAMPTZ, x DOUBLE)');
          await s.run(`INSERT INTO offline VALUES ${rows.map((o) => `('${o.symbol}', ${iso(o.event_ts)}, ${iso(o.created_ts)}, ${o.x})`).join(', ')}`);
          await s.run('CREATE OR REPLACE TEMP TABLE entities (symbol VARCHAR, ts TIMESTAMPTZ, label BIGINT, _row BIGINT)');
          await s.run(`INSERT INTO entities VALUES ${entities.map((e, i) => `('${e.symbol}', ${iso(e.ts)}, ${e.label}, ${i})`).join(', ')}`);
          const ttl = ttlJoinInput(`${n} sessions`, 'XNYS');
          const query = pointInTimeSql('entities', 'ts', [{ view: 'v', version: 1, offline: ident('offline'), keys: ['symbol'], ...ttl, features: [['x', 'v__x']], uniqueEventTimes: false, tieBreak: 'x', ...plan }], mode);
          return (await s.all<{ v__x: number | null }>(query)).map((row) => row.v__x);
        });
        const expected = entities.map((e) => reference(e, rows, n, mode));
        expect(got).toEqual(expected);
        // The cases must reach both sides of the rule.
        expect(expected.filter((v) => v === null).length).toBeGreaterThan(50);
        expect(expected.filter((v) => v !== null).length).toBeGreaterThan(150);
      }
    },
  );
});
