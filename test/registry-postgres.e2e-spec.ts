import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT, query } from './support/helpers';
import { freePort } from './support/ports';
import { startPostgres, type TestPostgres } from './support/postgres.server';
import { collectOutput, hasExited, stopGroup } from './support/processes';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually, waitFor } from './support/wait';

// The API on a PostgreSQL registry: a short workflow on replica A (in this process), and a second
// API process B on the same PostgreSQL and lake folder that sees A's definitions within a second.

const VIEW = {
  name: 'pg_momentum',
  entity: 'symbol',
  source: 'bars_1d',
  timestampColumn: 'ts',
  ttl: '36500d',
  sql: 'SELECT symbol, ts, close / lag(close) OVER w - 1 AS ret_1d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [{ name: 'ret_1d', type: 'DOUBLE' }],
};

// Closes 1, 2, 5: returns 1 and 1.5, worked out by hand (the reference).
const ROWS = [1, 2, 5].map((close, i) => ({ symbol: 'PGX', ts: `2024-05-0${i + 1}T20:00:00Z`, open: close, high: close, low: close, close, volume: 1 }));

describe('the API on a PostgreSQL registry (REGISTRY_URL, two replicas)', () => {
  let pg: TestPostgres;
  let a: TestApi;
  let b: ChildProcess;
  let bBase: string;
  let bOutput: () => string;
  const callB = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${bBase}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    pg = await startPostgres();
    a = await startTestApi({ REGISTRY_URL: pg.url, BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '30' });
    const port = await freePort();
    bBase = `http://127.0.0.1:${port}`;
    // Replica B: its own process, the same registry and lake folder (a shared file system).
    b = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: a.dataDir, REGISTRY_URL: pg.url, PORT: String(port), HOST: '127.0.0.1', BOOTSTRAP: 'false', LOG_LEVEL: 'log' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bOutput = collectOutput(b);
    await waitFor(() => (hasExited(b) ? Promise.reject(new Error(`replica B exited:\n${bOutput()}`)) : /try: curl/.test(bOutput())), { timeoutMs: 90_000, what: 'replica B' });
  }, 150_000);
  afterAll(async () => {
    if (b) await stopGroup(b);
    await a?.stop();
    await pg?.close();
  });

  it('keeps the registry in PostgreSQL and serves rows, a view, a materialisation, an online lookup and a training set', async () => {
    expect(await a.call('POST', '/v1/datasets/bars_1d/rows', ROWS)).toMatchObject({ status: 200, body: { accepted: 3 } });
    expect(await a.call('POST', '/v1/feature-views', VIEW)).toMatchObject({ status: 201, body: { version: 1, created: true } });
    const started = await a.call('POST', '/v1/feature-views/pg_momentum/versions/1/materialize', {});
    expect([200, 202]).toContain(started.status);
    await expectEventually(async () => expect((await a.call('GET', `/v1/jobs/${started.body.jobId}`)).body).toMatchObject({ status: 'succeeded' }), 60_000);
    const online = await a.call('POST', '/v1/online-features', { features: ['pg_momentum:ret_1d'], entities: { symbol: ['PGX'] } });
    expect(online.status).toBe(200);
    expect(online.body.rows[0].pg_momentum__ret_1d).toBeCloseTo(1.5, 12);
    const set = await a.call('POST', '/v1/training-sets', { features: ['pg_momentum:ret_1d'], entities: [{ symbol: 'PGX', ts: '2024-05-02T21:00:00Z' }] });
    expect(set.status).toBe(200);
    expect(set.body.rows[0].pg_momentum__ret_1d).toBeCloseTo(1, 12);
    // Replica B reads the same set and job from the shared registry, and the same request there
    // gives a set of the same digest.
    const manifest = await callB('GET', `/v1/training-sets/${set.body.trainingSetId}`);
    expect(manifest.status).toBe(200);
    expect(manifest.body.digest).toEqual(expect.any(String));
    const again = await callB('POST', '/v1/training-sets', { features: ['pg_momentum:ret_1d'], entities: [{ symbol: 'PGX', ts: '2024-05-02T21:00:00Z' }] });
    expect(again.status).toBe(200);
    expect((await a.call('GET', `/v1/training-sets/${again.body.trainingSetId}`)).body.digest).toBe(manifest.body.digest);
    expect((await callB('GET', `/v1/jobs/${started.body.jobId}`)).body).toMatchObject({ status: 'succeeded' });
    // Where the records are: PostgreSQL's tables, and no embedded registry folder.
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    try {
      const rows = (await c.query('SELECT value FROM registry_definitions WHERE key = $1', ['view/pg_momentum'])).rows;
      expect(rows).toEqual([{ value: expect.objectContaining({ name: 'pg_momentum', latest: 1 }) }]);
      expect(Number((await c.query(`SELECT count(*) AS n FROM registry_audit WHERE key LIKE 'audit/%'`)).rows[0].n)).toBeGreaterThanOrEqual(3);
    } finally {
      await c.end();
    }
    expect(existsSync(join(a.dataDir, 'registry'))).toBe(false);
  }, 90_000);

  it("serves a view version applied on replica A from replica B's online path within a second", async () => {
    const lookup = { features: ['pg_momentum:ret_1d'], entities: { symbol: ['PGX'] } };
    // B resolves and caches version 1 first.
    expect((await callB('POST', '/v1/online-features', lookup)).body.versions).toEqual({ pg_momentum: 1 });
    const applied = await a.call('POST', '/v1/feature-views', { ...VIEW, sql: VIEW.sql.replace('- 1 AS', '- 2 AS') });
    const t0 = Date.now();
    expect(applied).toMatchObject({ status: 201, body: { version: 2 } });
    await waitFor(async () => (await callB('POST', '/v1/online-features', lookup)).body.versions?.pg_momentum === 2, { timeoutMs: 5000, everyMs: 20, what: 'version 2 on replica B' });
    // The online path checks the generation once a second (GENERATION_CHECK_MS); the
    // notification itself takes milliseconds; the rest is B's answer on a busy machine.
    expect(Date.now() - t0).toBeLessThan(1300);
  }, 30_000);

  it('materialises a version once when both replicas are asked at the same moment', async () => {
    const [onA, onB] = await Promise.all([a.call('POST', '/v1/feature-views/pg_momentum/versions/2/materialize', {}), callB('POST', '/v1/feature-views/pg_momentum/versions/2/materialize', {})]);
    const jobs = [onA, onB].map((r) => r.body.jobId as string);
    const final = await waitFor(
      async () => {
        const records = await Promise.all(jobs.map(async (id) => (await a.call('GET', `/v1/jobs/${id}`)).body));
        return records.every((j) => j.status === 'succeeded' || j.status === 'failed') && records;
      },
      { timeoutMs: 60_000, what: 'both jobs' },
    );
    expect(final.some((j) => j.status === 'succeeded')).toBe(true);
    // A refused one names the lease's holder; it never ran alongside.
    for (const j of final.filter((x) => x.status === 'failed')) expect(j.error).toMatch(/is being materialised by process/);
    // The offline store holds each (symbol, event time) once; PGX's values as worked out by hand
    // for version 2 (close / previous close - 2).
    const files = `${a.dataDir}/offline/pg_momentum/v2/*.parquet`;
    expect(await query(`SELECT symbol, event_ts, count(*) AS n FROM read_parquet('${files}') GROUP BY ALL HAVING count(*) > 1`)).toEqual([]);
    const pgx = await query<{ v: number | null }>(`SELECT ret_1d AS v FROM read_parquet('${files}') WHERE symbol = 'PGX' ORDER BY event_ts`);
    expect(pgx.map((r) => r.v)).toEqual([null, 0, 0.5]);
  }, 90_000);

  it('answers writes with 503 naming the registry while PostgreSQL is down, keeps serving online lookups, and recovers without a restart', async () => {
    const lookup = { features: ['pg_momentum:ret_1d'], entities: { symbol: ['PGX'] } };
    const before = await a.call('POST', '/v1/online-features', lookup);
    expect(before.status).toBe(200);
    await pg.stop();
    try {
      const started = Date.now();
      const write = await a.call('POST', '/v1/feature-views', { ...VIEW, name: 'pg_down' });
      expect(write.status).toBe(503);
      expect(write.body.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^registry unavailable: PostgreSQL at 127\.0\.0\.1:\d+\/registry/), details: { store: 'registry' } });
      expect(Date.now() - started).toBeLessThan(6000);
      // The online path resolves from its cache and reads the online store only.
      expect(await a.call('POST', '/v1/online-features', lookup)).toEqual(before);
      expect((await a.call('GET', '/health')).status).toBe(503);
    } finally {
      await pg.start();
    }
    await expectEventually(async () => expect((await a.call('POST', '/v1/feature-views', { ...VIEW, name: 'pg_down' })).status).toBe(201), 15_000, 250);
    expect((await callB('GET', '/v1/feature-views/pg_down')).status).toBe(200);
  }, 60_000);
});
