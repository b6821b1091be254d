import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { FixedClock, JOB_STALE_MS, LEASE_LOCK_CLASS, SyntheticProvider, fileLiteral, sql, type FeatureStore, type LeaseOwner } from '@app/features';
import { Cluster } from '../support/cluster';
import { openStore, query, tempDataDir } from '../support/helpers';
import type { TestRedis } from '../support/redis.server';
import { SteadyLoad, formatReport, isOk } from '../support/steady-load';
import { expectEventually, waitFor } from '../support/wait';
import { LOOKUP, SYMBOLS, UNMATERIALISED_VIEW, call, startTwoReplicas, type FaultRegistry, type TwoReplicas } from './fault-setup';

// The pid of a process that has exited (for a lease probe that must never block a real run).
const DEAD_PID = spawnSync('true').pid!;

// Two API replicas as separate processes on one data folder, one Redis and one registry (see
// fault-setup.ts for the registry a run uses).
describe('faults: two API replicas on one data folder and one Redis', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let redis: TestRedis;
  let registry: FaultRegistry;
  let cluster: Cluster;
  let a: string;
  let b: string;
  /** The materialisation job of replica A when A was SIGKILLed mid-run. */
  let killedJobId: string | undefined;

  let deployment: TwoReplicas | undefined;

  beforeAll(async () => {
    deployment = await startTwoReplicas();
    ({ tmp, registry, redis, cluster } = deployment);
    [a, b] = [cluster.url('a'), cluster.url('b')];
  }, 180_000);
  afterAll(() => deployment?.stop());

  it('serves on replica B, within 1 s, a definition applied on replica A', async () => {
    const request = { features: ['trend:macd'], entities: { symbol: ['SYN0002'] } };
    // B resolves (and caches) the current version first.
    expect((await call(b, 'POST', '/v1/online-features', request)).body.versions).toEqual({ trend: 1 });
    const trend = (await call(a, 'GET', '/v1/feature-views/trend/versions/1')).body.definition;
    const applied = await call(a, 'POST', '/v1/feature-views', { ...trend, ttl: '5d' });
    expect(applied.status).toBe(201);
    expect(applied.body.version).toBe(2);
    const appliedAt = Date.now();
    let seenAfter = -1;
    await expectEventually(async () => {
      const res = await call(b, 'POST', '/v1/online-features', request);
      expect(res.status).toBe(200);
      expect(res.body.versions).toEqual({ trend: 2 });
      seenAfter = Date.now() - appliedAt;
    }, 5_000, 20);
    // Applied but not materialised: NOT_FOUND, from either replica alike.
    const [fromA, fromB] = await Promise.all([call(a, 'POST', '/v1/online-features', request), call(b, 'POST', '/v1/online-features', request)]);
    expect(fromB.body).toEqual(fromA.body);
    expect(fromB.body.metadata[0].statuses.trend__macd).toBe('NOT_FOUND');
    expect((await call(b, 'GET', '/v1/feature-views/trend')).body.latest).toBe(2);
    console.log(`definition applied on A served by B after ${seenAfter} ms`);
    expect(seenAfter).toBeLessThanOrEqual(1000);
  }, 60_000);

  it('gives the same training set, digest included, on both replicas', async () => {
    const entities = SYMBOLS.flatMap((symbol, i) => [
      { symbol, ts: '2025-11-20T12:00:00Z', label: i % 2 },
      { symbol, ts: '2025-12-15T00:00:00Z', label: 1 - (i % 2) },
    ]);
    const request = { features: ['returns:ret_1d', 'returns@1:ret_20d', 'trend@1:rsi_14'], entities };
    const [fromA, fromB] = await Promise.all([call(a, 'POST', '/v1/training-sets', request), call(b, 'POST', '/v1/training-sets', request)]);
    expect({ a: fromA.status, b: fromB.status, body: fromA.status === 200 ? fromB.body : fromA.body }).toMatchObject({ a: 200, b: 200 });
    expect(fromB.body.digest).toBe(fromA.body.digest);
    expect(fromB.body.rows).toEqual(fromA.body.rows);
    expect(fromA.body.rows).toHaveLength(entities.length);
    expect(fromA.body.rows.some((r: Record<string, unknown>) => typeof r.returns__ret_1d === 'number')).toBe(true);
  }, 60_000);

  it('runs a materialisation started on both replicas at once only once', async () => {
    const path = `/v1/feature-views/${UNMATERIALISED_VIEW}/versions/1/materialize`;
    const started = await Promise.all([call(a, 'POST', path, {}), call(b, 'POST', path, {})]);
    for (const s of started) expect([200, 202]).toContain(s.status);
    // Each replica's job ends; the lease lets one compute the range. The other either finds the
    // lease held (its job fails with CONFLICT's message) or, planning after the first ended,
    // nothing left to do (0 rows).
    const jobs = await Promise.all(
      started.map(async (s, i) => {
        const base = [a, b][i];
        let job: { status: string; rows: number; error?: string } = s.body;
        await expectEventually(async () => {
          job = (await call(base, 'GET', `/v1/jobs/${s.body.jobId}`)).body;
          expect(job.status).not.toBe('running');
        }, 60_000, 100);
        return job;
      }),
    );
    const computed = jobs.filter((j) => j.status === 'succeeded' && j.rows > 0);
    const others = jobs.filter((j) => !computed.includes(j));
    expect(computed).toHaveLength(1);
    for (const o of others) {
      if (o.status === 'failed') expect(o.error).toMatch(/is being materialised by process \d+/);
      else expect(o).toMatchObject({ status: 'succeeded', rows: 0 });
    }
    // The offline store holds each (symbol, event time) once: one run's rows, as DuckDB counts them.
    const files = fileLiteral(`${tmp.dir}/offline/${UNMATERIALISED_VIEW}/v1/*.parquet`);
    const [{ n, keys }] = await query<{ n: number; keys: number }>(sql`SELECT count(*)::INTEGER AS n, count(DISTINCT (symbol, event_ts))::INTEGER AS keys FROM read_parquet(${files})`);
    expect({ n, keys }).toEqual({ n: computed[0].rows, keys: computed[0].rows });
    const [{ bars }] = await query<{ bars: number }>(sql`SELECT count(*)::INTEGER AS bars FROM read_parquet(${fileLiteral(`${tmp.dir}/lake/bars_1d/*/*.parquet`)})`);
    expect(n).toBe(bars);
  }, 90_000);

  it('lets B take over the lease of a materialisation whose replica A was SIGKILLed mid-run, and computes each row once', async () => {
    // A view over a dataset large enough that its materialisation is still running when the kill comes.
    const store = await openStore(tmp.dir, new FixedClock(new Date('2026-01-01T12:00:00Z')), { ONLINE_STORE: redis.url, ...registry.env });
    try {
      await store.ingest.run(new SyntheticProvider({ symbols: 150, days: 400, seed: 11, endDate: new Date('2026-01-01T00:00:00Z'), gapRate: 0 }), { dataset: 'big_1d', createAs: 'bars' });
    } finally {
      await store.close();
    }
    const volatility = (await call(a, 'GET', '/v1/feature-views/volatility/versions/1')).body.definition;
    expect((await call(a, 'POST', '/v1/feature-views', { ...volatility, name: 'big_vol', source: 'big_1d' })).status).toBe(201);
    const path = '/v1/feature-views/big_vol/versions/1/materialize';
    const pidA = cluster.pid('a');
    const env = { ONLINE_STORE: redis.url, ...registry.env };
    const probe = await openStore(tmp.dir, undefined, env);
    let onA: Awaited<ReturnType<typeof call>>;
    try {
      onA = await call(a, 'POST', path, {});
      expect(onA.status).toBe(202);
      // The job runs after the answer: the kill comes once A's run holds the lease (mid-run).
      await waitFor(async () => (await leaseHolder(probe, 'materialize/big_vol@1', registry))?.pid === pidA, { timeoutMs: 30_000, everyMs: 10, what: "A's run to hold the lease" });
      await cluster.kill('a', 'SIGKILL');
      if (registry.postgres) {
        // PostgreSQL: the lease was an advisory lock of A's connection, gone with A's process.
        await waitFor(async () => (await leaseHolder(probe, 'materialize/big_vol@1', registry)) === null, { timeoutMs: 10_000, what: "the lease of A's dead connection to be free" });
      } else {
        // Embedded: the registry still names A's (dead) process, which the next taker checks.
        expect((await leaseHolder(probe, 'materialize/big_vol@1', registry))?.pid).toBe(pidA);
      }
    } finally {
      await probe.close();
    }

    // B takes the lease over: at once here (A's pid is gone); a registry whose leases expire
    // instead answers CONFLICT until the expiry, so B's job is started again until then.
    let job: { status: string; rows: number; error?: string } | undefined;
    await expectEventually(async () => {
      const onB = await call(b, 'POST', path, {});
      expect(onB.status).toBe(202);
      await expectEventually(async () => {
        job = (await call(b, 'GET', `/v1/jobs/${onB.body.jobId}`)).body;
        expect(job!.status).not.toBe('running');
      }, 90_000, 200);
      expect(job!.error ?? '').not.toMatch(/is being materialised by process/);
    }, 60_000, 500);
    const [{ bars }] = await query<{ bars: number }>(sql`SELECT count(*)::INTEGER AS bars FROM read_parquet(${fileLiteral(`${tmp.dir}/lake/big_1d/*/*.parquet`)})`);
    expect(job).toMatchObject({ status: 'succeeded', rows: bars });
    const files = fileLiteral(`${tmp.dir}/offline/big_vol/v1/*.parquet`);
    const [{ n, keys }] = await query<{ n: number; keys: number }>(sql`SELECT count(*)::INTEGER AS n, count(DISTINCT (symbol, event_ts))::INTEGER AS keys FROM read_parquet(${files})`);
    expect({ n, keys }).toEqual({ n: bars, keys: bars });
    await cluster.restart('a');
    killedJobId = onA!.body.jobId;
  }, 120_000);

  // The killed replica's job stops its heartbeat: every replica reports it failed once the
  // record is JOB_STALE_MS old (not `running` for ever).
  it('reports the job of a replica SIGKILLed mid-run as failed on every replica, once its heartbeat stopped', async () => {
    expect(killedJobId).toBeDefined();
    await expectEventually(async () => {
      for (const base of [a, b]) {
        const job = (await call(base, 'GET', `/v1/jobs/${killedJobId}`)).body;
        expect({ base, status: job.status, error: job.error }).toEqual({ base, status: 'failed', error: expect.stringMatching(/no heartbeat/) });
      }
    }, JOB_STALE_MS + 10_000, 500);
  }, JOB_STALE_MS + 20_000);

  it('keeps B answering without an error while A is SIGKILLed, and A rejoins when started again', async () => {
    if (!cluster.running('a')) await cluster.restart('a'); // (an earlier test failed half-way)
    const cpuBefore = { a: cluster.cpuSeconds('a'), b: cluster.cpuSeconds('b') };
    const load = SteadyLoad.start({ targets: [{ name: 'a', base: a }, { name: 'b', base: b }], request: { method: 'POST', path: '/v1/online-features', body: LOOKUP }, rps: 40 });
    let report = '';
    try {
      await load.okSince('a', load.startedAt, 120);
      await load.okSince('b', load.startedAt, 120);
      // What each replica used of the CPU for the steady load (both up), as a figure to report.
      const steadySec = (Date.now() - load.startedAt) / 1000;
      for (const name of ['a', 'b'] as const) {
        const answered = load.of(name).filter(isOk).length;
        const cpu = cluster.cpuSeconds(name) - cpuBefore[name];
        console.log(`replica ${name}: ${(answered / steadySec).toFixed(1)} req/s answered, ${((100 * cpu) / steadySec).toFixed(1)} % of a core over ${steadySec.toFixed(1)} s`);
      }
      const killedAt = Date.now();
      await cluster.kill('a', 'SIGKILL');
      // A's failures are seen (refused), then A starts again with the same command and port.
      await expectEventually(() => expect(load.of('a', killedAt).some((s) => !isOk(s))).toBe(true), 10_000, 20);
      await cluster.restart('a');
      const upAt = Date.now();
      await load.okSince('a', upAt, 40);
      await load.okSince('b', upAt, 40);
      await load.stop();
      report = formatReport(load.report());
      console.log(`SIGKILL of replica A under load:\n${report}`);

      const bFailures = load.of('b').filter((s) => !isOk(s));
      expect(bFailures).toEqual([]);
      // A fails only between the kill and the moment it answered /health again.
      const aFailures = load.of('a').filter((s) => !isOk(s));
      expect(aFailures.length).toBeGreaterThan(0);
      for (const f of aFailures) expect({ doneAt: f.doneAt >= killedAt, sentAt: f.sentAt <= upAt }).toEqual({ doneAt: true, sentAt: true });
      // What A and B answered before, during and after: the same values.
      const bodies = new Set(load.samples.filter(isOk).map((s) => s.body));
      expect(bodies.size).toBe(1);
      const [fromA, fromB] = await Promise.all([call(a, 'POST', '/v1/online-features', LOOKUP), call(b, 'POST', '/v1/online-features', LOOKUP)]);
      expect(fromA.status).toBe(200);
      expect(fromA.body).toEqual(fromB.body);
    } finally {
      await load.stop();
    }
  }, 120_000);
});

/**
 * Who holds a lease now (null: nobody), asked through the registry's own lease call. The probe
 * names a process that has exited: a holder it finds is left alone (counted alive), and when it
 * finds none the lease it took is one any run takes over at once; it is given back at once too.
 */
async function leaseHolder(store: FeatureStore, name: string, registry: FaultRegistry): Promise<Pick<LeaseOwner, 'pid'> | null> {
  if (registry.postgres) {
    // Read only: a probe taking the advisory lock, even for an instant, would refuse the real run.
    // Held: a granted advisory lock of the lease class and the holder's row (gone at release).
    const client = new Client({ connectionString: registry.env.REGISTRY_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: string | null; held: boolean }>(
        `SELECT (SELECT value->>'pid' FROM registry_materializations WHERE key = $1) AS pid,
                EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $2::int::oid) AS held`,
        [`lease/${name}`, LEASE_LOCK_CLASS],
      );
      return rows[0].held && rows[0].pid !== null ? { pid: Number(rows[0].pid) } : null;
    } finally {
      await client.end();
    }
  }
  const probe: LeaseOwner = { pid: DEAD_PID, instance: `probe-${Date.now()}`, since: new Date().toISOString() };
  // Refused: the answer is the holder (every holder counts as alive here); taken: nobody held it.
  const holder = await store.registry.materializations.acquireLease(name, probe, () => true);
  if (holder === null) await store.registry.materializations.releaseLease(name, probe);
  return holder;
}
