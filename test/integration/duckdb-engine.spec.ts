import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbClient, ErrorCode, FeatureSqlRejectedError, FeatureSqlSandbox, barSchema, checkFeatureSql, sql } from '@app/features';

describe('the main DuckDB engine', () => {
  let db: DuckDbClient;
  beforeAll(async () => (db = await DuckDbClient.open({ threads: 1 })));
  afterAll(() => db.close());

  it('runs every session in UTC and never loads an extension on demand', async () => {
    for (let i = 0; i < 2; i++) {
      const row = await db.withSession((s) =>
        s.one<{ tz: string; local: string; autoload: boolean; autoinstall: boolean }>(
          `SELECT current_setting('TimeZone') AS tz, strftime(TIMESTAMPTZ '2021-04-02 00:00:00+00', '%H') AS local,
                  current_setting('autoload_known_extensions') AS autoload, current_setting('autoinstall_known_extensions') AS autoinstall`,
        ),
      );
      expect(row).toEqual({ tz: 'UTC', local: '00', autoload: false, autoinstall: false });
    }
  });
});

describe('the feature-SQL sandbox', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fs-sandbox-'));
    writeFileSync(join(dir, 'inside.csv'), 'a\n1\n');
    writeFileSync(join(tmpdir(), 'fs-sandbox-outside.csv'), 'a\n1\n');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'fs-sandbox-outside.csv'), { force: true });
  });

  it('is the same engine confined: UTC, files only inside its folders, settings locked', async () => {
    const sandbox = await FeatureSqlSandbox.open({ readable: [dir], writable: [] }, { threads: 1 });
    try {
      expect(await sandbox.session.one(`SELECT current_setting('TimeZone') AS tz`)).toEqual({ tz: 'UTC' });
      expect(await sandbox.session.one(`SELECT count(*) AS n FROM read_csv('${join(dir, 'inside.csv')}')`)).toEqual({ n: 1 });
      await expect(sandbox.session.all(`SELECT * FROM read_csv('${join(tmpdir(), 'fs-sandbox-outside.csv')}')`)).rejects.toThrow(/Permission|disabled|not allowed/i);
      await expect(sandbox.session.run('SET enable_external_access = true')).rejects.toThrow(/locked/);
      await expect(sandbox.session.run("SET TimeZone = 'Europe/Paris'")).rejects.toThrow(/locked/);
    } finally {
      sandbox.close();
    }
  });

  it('defines source from a relation with bound values, which stay values', async () => {
    const sandbox = await FeatureSqlSandbox.open({ readable: [dir], writable: [] }, { threads: 1 });
    try {
      const hostile = "'; DROP VIEW source; --";
      const relation = sql`SELECT * FROM (VALUES ('a', TIMESTAMPTZ '2021-01-01 00:00:00+00'), ('b', TIMESTAMPTZ '2021-01-03 00:00:00+00'), (${hostile}, TIMESTAMPTZ '2021-01-04 00:00:00+00')) t(symbol, ts)
        WHERE ts >= ${new Date('2021-01-02T00:00:00Z')} AND symbol <> ${'b'}`;
      await sandbox.defineSource(barSchema('bars_1d'), relation);
      expect(await sandbox.session.all('SELECT symbol, ts FROM source ORDER BY ts')).toEqual([{ symbol: hostile, ts: '2021-01-04T00:00:00Z' }]);
      expect(await sandbox.session.all('SELECT count(*) AS n FROM _source_versions')).toEqual([{ n: 1 }]);
    } finally {
      sandbox.close();
    }
  });
});

describe('feature SQL checks', () => {
  let db: DuckDbClient;
  beforeAll(async () => (db = await DuckDbClient.open({ threads: 1 })));
  afterAll(() => db.close());

  const rejection = async (featureSql: string): Promise<FeatureSqlRejectedError> => {
    try {
      await db.withSession((s) => checkFeatureSql(s, featureSql));
    } catch (error) {
      return error as FeatureSqlRejectedError;
    }
    throw new Error(`accepted: ${featureSql}`);
  };

  // Feature SQL is inlined into queries that bind their own values ($1, $2, …): a parameter in
  // it would read one of those values.
  it.each([
    ['$1', 'SELECT symbol, ts, close * $1 AS x FROM source'],
    ['?', 'SELECT symbol, ts, close AS x FROM source WHERE symbol = ?'],
    ['$name', 'SELECT symbol, ts, close AS x FROM source WHERE ts > $since'],
    ['a parameter in a CTE', 'WITH w AS (SELECT * FROM source WHERE close > $2) SELECT symbol, ts, close AS x FROM w'],
  ])('rejects a prepared-statement parameter (%s) as FEATURE_SQL_REJECTED naming sql', async (_what, featureSql) => {
    const error = await rejection(featureSql);
    expect(error).toBeInstanceOf(FeatureSqlRejectedError);
    expect(error.code).toBe(ErrorCode.FeatureSqlRejected);
    expect(error.message).toMatch(/^sql: parameters .* are not allowed in feature SQL/);
    expect(error.details).toEqual({ field: 'sql' });
  });

  it('accepts "$1" inside a string literal or a quoted name', async () => {
    await expect(db.withSession((s) => checkFeatureSql(s, `SELECT symbol, ts, close AS "$1", '$1 ?' AS note FROM source`))).resolves.toBeUndefined();
  });

  it('rejects getvariable, which would read the session variables the sandbox binds values through', async () => {
    expect((await rejection("SELECT symbol, ts, getvariable('_source_p1') AS x FROM source")).message).toMatch(/getvariable is not allowed/);
  });
});
