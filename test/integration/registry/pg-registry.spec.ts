import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ErrorCode, FeatureStoreError, LmdbRegistry, MIGRATIONS, PgRegistry, SCHEMA_VERSION, type LeaseOwner } from '@app/features';
import { ROOT, tempDataDir } from '../../support/helpers';
import { startPostgres, type TestPostgres } from '../../support/postgres.server';
import { collectOutput, hasExited } from '../../support/processes';
import { expectEventually, waitFor } from '../../support/wait';

// What only the PostgreSQL driver has to show: migrations by several processes, a schema from
// newer code refused, a lease freed by its holder's death, and failing fast (UNAVAILABLE) while
// the server is down, then working again without a reopen.

function child(url: string, args: string[]): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, ['-r', '@swc-node/register', 'test/support/registry-child.ts', ...args], { cwd: ROOT, env: { ...process.env, REGISTRY_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { proc, output: collectOutput(proc) };
}

const exited = (proc: ChildProcess) => new Promise<number | null>((resolve) => (hasExited(proc) ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))));

async function sql<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('PgRegistry (a real PostgreSQL server)', () => {
  let pg: TestPostgres;
  let n = 0;
  const fresh = () => pg.createDatabase(`pg_spec_${++n}`);
  const open = (url: string, timeoutMs = 3000) => PgRegistry.open({ url, poolSize: 4, timeoutMs });
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg.close());

  it('migrates a fresh database once when two processes open it at once', async () => {
    const url = await fresh();
    const children = [child(url, ['open']), child(url, ['open'])];
    const codes = await Promise.all(children.map((c) => exited(c.proc)));
    expect(codes).toEqual([0, 0]);
    for (const c of children) expect(c.output()).toContain('opened');
    const rows = await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    // Opening again applies nothing and keeps what is there.
    const registry = await open(url);
    await registry.meta.setMeta('x', 1);
    await registry.close();
    const again = await open(url);
    expect(await again.meta.getMeta('x')).toBe(1);
    await again.close();
    expect(await sql(url, 'SELECT version FROM schema_migrations')).toHaveLength(MIGRATIONS.length);
  }, 60_000);

  it('refuses a database migrated by newer code, naming both versions', async () => {
    const url = await fresh();
    await (await open(url)).close();
    const newer = SCHEMA_VERSION + 5;
    await sql(url, 'INSERT INTO schema_migrations (version) VALUES ($1)', [newer]);
    await expect(open(url)).rejects.toThrow(new RegExp(`schema version ${newer}, newer than this code knows \\(${SCHEMA_VERSION}\\)`));
  });

  it('hands a lease held by a killed process to the next caller', async () => {
    const url = await fresh();
    const holder = child(url, ['lease', 'materialize/returns@1']);
    await waitFor(() => holder.output().includes('held'), { timeoutMs: 30_000, what: () => `the child's lease: ${holder.output()}` });
    const registry = await open(url);
    try {
      const me: LeaseOwner = { pid: process.pid, instance: 'parent', since: new Date().toISOString() };
      // isAlive would say "alive" whatever the pid: only the lock decides.
      const refused = await registry.materializations.acquireLease('materialize/returns@1', me, () => true);
      expect(refused?.pid).toBe(holder.proc.pid);
      holder.proc.kill('SIGKILL');
      await exited(holder.proc);
      await expectEventually(async () => expect(await registry.materializations.acquireLease('materialize/returns@1', me, () => true)).toBeNull(), 5000);
      await registry.materializations.releaseLease('materialize/returns@1', me);
    } finally {
      if (!hasExited(holder.proc)) holder.proc.kill('SIGKILL');
      await registry.close();
    }
  }, 60_000);

  it('fails fast with UNAVAILABLE naming the registry while the server is down, and works again after', async () => {
    const url = await fresh();
    const registry = await open(url, 1500);
    try {
      await registry.meta.setMeta('before', 1);
      const generation = await registry.definitions.definitionsGeneration();
      // A transaction in flight when the server goes: it waits on a lock another session holds.
      const blocker = new Client({ connectionString: url });
      blocker.on('error', () => undefined);
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_advisory_xact_lock(18001, hashtext($1))', ['batch-seq/bars_1d']);
      const inFlight = registry.datasets
        .recordBatch({ batchId: 'b1', dataset: 'bars_1d', identity: 'i1', source: 's', rows: 1, rejected: 0, files: [], ingestedAt: 'x', committedAt: 'x' })
        .then(() => null, (e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      await pg.stop();
      expect(await inFlight).toMatchObject({ code: ErrorCode.Unavailable });
      const started = Date.now();
      const error = await registry.meta.setMeta('during', 1).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(FeatureStoreError);
      expect((error as FeatureStoreError).code).toBe(ErrorCode.Unavailable);
      expect((error as Error).message).toMatch(/^registry unavailable: PostgreSQL at 127\.0\.0\.1:\d+\/pg_spec_\d+/);
      expect(Date.now() - started).toBeLessThan(3000);
      // The cached generation still answers (the online path keeps serving its cached definitions).
      expect(await registry.definitions.definitionsGeneration()).toBe(generation);
      await pg.start();
      await expectEventually(async () => expect(await registry.meta.getMeta('before')).toBe(1), 10_000, 200);
      expect(await registry.meta.getMeta('during')).toBeUndefined();
      expect(await registry.datasets.lastBatchSeq('bars_1d')).toBe(0);
      // The generation listener is back too: a change made elsewhere reaches this handle.
      const other = await open(url);
      await other.definitions.putEntity({ name: 'instrument', joinKeys: ['symbol'], description: '' });
      await other.close();
      await expectEventually(async () => expect(await registry.definitions.definitionsGeneration()).toBe(generation + 1), 5000, 50);
    } finally {
      await registry.close();
    }
  }, 60_000);

  it('moves a registry from DATA_DIR to PostgreSQL and back with `npm run registry -- export|import`', async () => {
    const url = await fresh();
    const tmp = tempDataDir('fs-registry-cli-');
    try {
      const lmdb = LmdbRegistry.open(join(tmp.dir, 'registry'));
      await lmdb.audit.append({ at: '2026-01-01T00:00:00.000Z', keyId: 'local', route: 'keys create', targets: ['k1'], counts: { read: 1 }, outcome: 'accepted', status: 0 });
      await lmdb.definitions.putEntity({ name: 'instrument', joinKeys: ['symbol'], description: 'é ü \u001f' });
      await lmdb.jobs.putJob({ jobId: 'j1', kind: 'materialize', view: 'v', version: 1, status: 'succeeded', rows: 3, start: null, end: null, createdAt: 'x', updatedAt: 'y' });
      await lmdb.close();
      const run = (args: string[], env: Record<string, string>) =>
        spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/ingest/src/registry/registry.main.ts', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: tmp.dir, REGISTRY_URL: '', ...env }, encoding: 'utf8' });
      const first = join(tmp.dir, 'first.ndjson');
      const second = join(tmp.dir, 'second.ndjson');
      expect(run(['export', first], {})).toMatchObject({ status: 0, stderr: expect.stringContaining('exported 5 records') });
      expect(run(['import', first], { REGISTRY_URL: url })).toMatchObject({ status: 0, stderr: expect.stringContaining('imported 5 records') });
      // Into a registry that holds records: refused, nothing written.
      expect(run(['import', first], { REGISTRY_URL: url })).toMatchObject({ status: 1, stderr: expect.stringContaining('already holds records') });
      expect(run(['export', second], { REGISTRY_URL: url })).toMatchObject({ status: 0 });
      const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).sort((x, y) => (x.key < y.key ? -1 : 1));
      expect(lines(second)).toEqual(lines(first));
      // What PostgreSQL holds is what LMDB held, read back through the driver.
      const registry = await open(url);
      expect((await registry.audit.list({ limit: 10 })).map((e) => e.targets)).toEqual([['k1']]);
      expect(await registry.definitions.getEntity('instrument')).toMatchObject({ description: 'é ü \u001f' });
      expect(await registry.definitions.definitionsGeneration()).toBe(1);
      await registry.close();
      expect(run(['nonsense'], {})).toMatchObject({ status: 2 });
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});
