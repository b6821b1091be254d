import { DuckDbClient, defineFeatureView, latestRowSelect, materializationSelect, sql, type DuckDbSession, type TimeRange } from '@app/features';

// Two views over `source`: one with a window (every bar), one that skips bars (its newest row per
// key is often older than the key's newest bar).
const views = [
  defineFeatureView({
    name: 'ret',
    entity: 'symbol',
    source: 'bars',
    sql: 'SELECT symbol, ts, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS r, volume FROM source',
    features: [
      { name: 'r', type: 'DOUBLE', description: '' },
      { name: 'volume', type: 'BIGINT', description: '' },
    ],
  }),
  defineFeatureView({
    name: 'up',
    entity: 'symbol',
    source: 'bars',
    sql: 'SELECT symbol, ts, close > open AS up FROM source WHERE close > 100',
    features: [{ name: 'up', type: 'BOOLEAN', description: '' }],
  }),
];

describe('latestRowSelect (a real DuckDB)', () => {
  let db: DuckDbClient;
  let s: DuckDbSession;
  beforeAll(async () => {
    db = await DuckDbClient.open({ threads: 1 });
    s = await db.session();
    // Every stored version: 6 keys x 40 days in batches of 5 days, then corrections and late bars
    // of earlier days in later batches (random, seeded), one key with no bar in the later days.
    await s.run(`CREATE TABLE _source_versions AS
      WITH base AS (
        SELECT 'K' || k AS symbol, TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (d) DAY AS ts, d, k,
               TIMESTAMPTZ '2026-03-01 00:00:00+00' + INTERVAL (d // 5) HOUR AS ingested_at
        FROM range(6) AS a(k), range(40) AS b(d) WHERE NOT (k = 5 AND d >= 20)
      ), fixes AS (
        SELECT symbol, ts, d, k, TIMESTAMPTZ '2026-03-01 00:00:00+00' + INTERVAL (8 + (hash(k, d) % 5)::INT) HOUR AS ingested_at
        FROM base WHERE hash(k, d, 'fix') % 4 = 0
      )
      SELECT symbol, ts, 95 + (hash(k, d, ingested_at) % 1000) / 50.0 AS open, 95 + (hash(k, d, ingested_at, 'c') % 1000) / 50.0 AS close,
             (hash(k, d, ingested_at, 'v') % 100000)::BIGINT AS volume, ingested_at
      FROM (SELECT * FROM base UNION ALL SELECT * FROM fixes)`);
    // The newest batch holds one bar alone: K0's last day, corrected (its own row is what moves K0's created_ts).
    await s.run(`INSERT INTO _source_versions SELECT symbol, ts, open, close + 1, volume, TIMESTAMPTZ '2026-03-01 20:00:00+00' FROM _source_versions
      WHERE symbol = 'K0' AND ts = TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL 39 DAY LIMIT 1`);
    await s.run('CREATE TABLE source AS SELECT * FROM _source_versions QUALIFY row_number() OVER (PARTITION BY symbol, ts ORDER BY ingested_at DESC) = 1');
    const [{ n, fixes }] = await s.all<{ n: number; fixes: number }>('SELECT count(*) AS n, count(*) - count(DISTINCT (symbol, ts)) AS fixes FROM _source_versions');
    expect(Number(fixes)).toBeGreaterThan(20);
    expect(Number(n)).toBeGreaterThan(220);
  });
  afterAll(() => {
    s.close();
    db.close();
  });

  const ranges: TimeRange[] = [0, 18, 25, 39, 45].map((d) => ({
    lo: new Date(Date.UTC(2026, 0, 1 + d)),
    loInclusive: d % 2 === 0,
    hi: new Date('2200-01-01T00:00:00Z'),
    hiInclusive: true,
  }));

  // No lookback (created_ts over all history) and a 3-day one (only the bars of those days count).
  const lookbacks = [null, 3 * 86_400_000];
  it.each(views.flatMap((view) => ranges.flatMap((range) => lookbacks.map((lookback) => [view.name, range.lo.toISOString().slice(0, 10), lookback, view, range] as const))))(
    'gives each key the row the full select gives, created_ts included (%s from %s, lookback %s ms)',
    async (_name, _from, lookback, view, range) => {
      const full = await s.all(
        sql`SELECT * FROM (${materializationSelect(view, ['symbol'], 'ts', range, lookback)})
         QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY event_ts DESC, created_ts DESC) = 1 ORDER BY symbol`,
      );
      const latest = await s.all(sql`SELECT * FROM (${latestRowSelect(view, ['symbol'], 'ts', range, lookback)}) ORDER BY symbol`);
      expect(latest).toEqual(full);
      if (range.lo.getUTCDate() === 1 && range.lo.getUTCMonth() === 0) expect(full).toHaveLength(6);
    },
  );
});
