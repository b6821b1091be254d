import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../support/cluster';
import { tempDataDir } from '../support/helpers';
import type { TestRedis } from '../support/redis.server';
import { SteadyLoad, formatReport, isOk } from '../support/steady-load';
import { expectEventually } from '../support/wait';
import { LOOKUP, call, startTwoReplicas, type FaultRegistry, type TwoReplicas } from './fault-setup';

// The limit the issue sets on an answer while a shared service is down: no hang.
const ANSWER_WITHIN_MS = 2000;
// How long PostgreSQL stays down under the load (issue 18: 10 s).
const DOWN_MS = 10_000;

// PostgreSQL (the registry) stopped for 10 s under a steady online load on two replicas: the
// lookups keep answering from Redis with the cached definitions, a write answers a quick 503
// naming the registry and writes nothing, and once it is back everything works without a restart.
// Only meaningful on the PostgreSQL registry: skipped with FAULTS_REGISTRY=embedded.
const onPostgres = process.env.FAULTS_REGISTRY === 'embedded' ? describe.skip : describe;

onPostgres('faults: PostgreSQL stopped for 10 s under load on two API replicas', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let redis: TestRedis;
  let registry: FaultRegistry;
  let cluster: Cluster;

  let deployment: TwoReplicas | undefined;

  beforeAll(async () => {
    deployment = await startTwoReplicas();
    ({ tmp, registry, redis, cluster } = deployment);
  }, 180_000);
  afterAll(() => deployment?.stop());

  it('keeps lookups answering from Redis, answers writes a quick 503 naming the registry with nothing written, and works again once it is back', async () => {
    const [a, b] = [cluster.url('a'), cluster.url('b')];
    const postgres = registry.postgres!;
    const before = await call(b, 'POST', '/v1/online-features', LOOKUP);
    expect(before.status).toBe(200);
    const lake = () => readdirSync(join(tmp.dir, 'lake', 'bars_1d'), { recursive: true }).map(String).sort();
    const lakeBefore = lake();
    const bar = (symbol: string) => [{ symbol, ts: '2025-12-31T00:00:00Z', open: 10, high: 12, low: 9, close: 11, volume: 100 }];

    const targets = [{ name: 'a', base: a }, { name: 'b', base: b }];
    const load = SteadyLoad.start({ targets, request: { method: 'POST', path: '/v1/online-features', body: LOOKUP }, rps: 20, timeoutMs: ANSWER_WITHIN_MS + 1000 });
    try {
      await load.okSince('a', load.startedAt, 20);
      await load.okSince('b', load.startedAt, 20);
      const stoppedAt = Date.now();
      await postgres.stop();
      // Down: a write needs the registry: a quick 503 naming it, and nothing in the lake.
      const writeDown = await call(a, 'POST', '/v1/datasets/bars_1d/rows', bar('PGDOWN'));
      expect({ status: writeDown.status, code: writeDown.body?.error?.code, store: writeDown.body?.error?.details?.store }).toEqual({ status: 503, code: 'UNAVAILABLE', store: 'registry' });
      expect(writeDown.ms).toBeLessThan(ANSWER_WITHIN_MS);
      const applyDown = await call(b, 'POST', '/v1/feature-views', { name: 'pg_down_view', entity: 'symbol', source: 'bars_1d', ttl: '3d', sql: 'SELECT symbol, ts, close FROM source', features: [{ name: 'close', type: 'DOUBLE' }] });
      expect({ status: applyDown.status, store: applyDown.body?.error?.details?.store }).toEqual({ status: 503, store: 'registry' });
      expect(lake()).toEqual(lakeBefore);
      await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + DOWN_MS - Date.now()))); // pacing: the outage's length
      const startedAgainAt = Date.now();
      await postgres.start();
      await load.okSince('a', startedAgainAt, 20);
      await load.okSince('b', startedAgainAt, 20);
      await load.stop();
      console.log(`PostgreSQL stopped for ${startedAgainAt - stoppedAt} ms under load:\n${formatReport(load.report())}`);
      // Lookups never needed it: not one failure on either replica, the same answer throughout.
      expect(load.samples.filter((s) => !isOk(s))).toEqual([]);
      expect(new Set(load.samples.map((s) => s.body)).size).toBe(1);
      expect(cluster.running('a') && cluster.running('b')).toBe(true);
    } finally {
      await load.stop();
    }
    // Back, with no restart: the write is accepted, the view applied on B is served through A.
    await expectEventually(async () => expect((await call(a, 'POST', '/v1/datasets/bars_1d/rows', bar('PGBACK'))).status).toBe(200), 15_000, 250);
    expect((await call(b, 'POST', '/v1/feature-views', { name: 'pg_back_view', entity: 'symbol', source: 'bars_1d', ttl: '3d', sql: 'SELECT symbol, ts, close FROM source', features: [{ name: 'close', type: 'DOUBLE' }] })).status).toBe(201);
    await expectEventually(async () => expect((await call(a, 'GET', '/v1/feature-views/pg_back_view')).status).toBe(200), 5_000, 100);
    expect((await call(a, 'GET', '/health')).status).toBe(200);
  }, 120_000);
});
