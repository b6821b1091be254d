import { Cluster } from '../support/cluster';
import { tempDataDir } from '../support/helpers';
import type { TestRedis } from '../support/redis.server';
import { SteadyLoad, formatReport, isOk } from '../support/steady-load';
import { expectEventually } from '../support/wait';
import { LOOKUP, call, startTwoReplicas, type FaultRegistry, type TwoReplicas } from './fault-setup';

// The limit the issue sets on an answer while a shared service is down: no hang.
const ANSWER_WITHIN_MS = 2000;
// How long Redis stays down under the load (the outage of a shared service).
const DOWN_MS = 10_000;

describe('faults: Redis restarted under load on two API replicas', () => {
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

  it('answers a quick 503 naming the online store while Redis is down, and everything again once it is back, with no value lost', async () => {
    const [a, b] = [cluster.url('a'), cluster.url('b')];
    // A value pushed through A before the restart: acknowledged, so it must be there after it.
    // (An hour ago: inside the view's TTL, so the value is served; Feast's SDK sends naive UTC.)
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000).toISOString().slice(0, 19);
    const write = (base: string, symbol: string) => call(base, 'POST', '/write-to-online-store', { feature_view_name: 'returns', df: { symbol: [symbol], event_timestamp: [hourAgo], ret_1d: [0.125] } });
    expect((await write(a, 'PUSHED1')).status).toBe(200);
    const request = { ...LOOKUP, entities: { symbol: [...LOOKUP.entities.symbol, 'PUSHED1'] } };
    const before = await call(b, 'POST', '/v1/online-features', request);
    expect(before.status).toBe(200);
    expect(before.body.rows.at(-1).returns__ret_1d).toBe(0.125);

    const targets = [{ name: 'a', base: a }, { name: 'b', base: b }];
    const load = SteadyLoad.start({ targets, request: { method: 'POST', path: '/v1/online-features', body: request }, rps: 20, timeoutMs: ANSWER_WITHIN_MS + 1000 });
    try {
      await load.okSince('a', load.startedAt, 20);
      await load.okSince('b', load.startedAt, 20);
      const stoppedAt = Date.now();
      await redis.stop();
      // Down: both replicas answer, quickly, 503 naming Redis; a write through /push too.
      await expectEventually(() => expect(targets.every((t) => load.of(t.name, Date.now() - 500).filter((s) => s.sentAt > stoppedAt).some((s) => s.status === 503))).toBe(true), 10_000, 50);
      // (Feast's route: its error is Feast's JSON string holding the message.)
      const writeDown = await write(b, 'PUSHED2');
      expect({ status: writeDown.status, body: String(writeDown.body) }).toEqual({ status: 503, body: expect.stringMatching(/redis/) });
      expect(writeDown.ms).toBeLessThan(ANSWER_WITHIN_MS);
      const health = await call(a, 'GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.stores['online:redis']).toMatch(/redis/);
      await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + DOWN_MS - Date.now()))); // pacing: the outage's length
      const startedAgainAt = Date.now();
      await redis.start();
      // Back: both answer again, with no restart of theirs.
      await load.okSince('a', startedAgainAt, 20);
      await load.okSince('b', startedAgainAt, 20);
      await load.stop();
      console.log(`Redis stopped for ${startedAgainAt - stoppedAt} ms under load:\n${formatReport(load.report())}`);

      const failures = load.samples.filter((s) => !isOk(s));
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) {
        // Each failure is a 503 naming Redis, answered within the limit, while it was down.
        expect({ status: f.status, error: f.error, quick: f.doneAt - f.sentAt < ANSWER_WITHIN_MS }).toEqual({ status: 503, error: expect.stringMatching(/redis/), quick: true });
        expect(f.doneAt).toBeGreaterThanOrEqual(stoppedAt);
      }
      const okBodies = new Set(load.samples.filter(isOk).map((s) => s.body));
      expect(okBodies.size).toBe(1); // the same answer before and after: nothing lost, nothing changed
      expect(cluster.running('a') && cluster.running('b')).toBe(true);
    } finally {
      await load.stop();
    }
    const after = await Promise.all([call(a, 'POST', '/v1/online-features', request), call(b, 'POST', '/v1/online-features', request)]);
    for (const res of after) expect(res.body).toEqual(before.body);
    // Writes work again too.
    expect((await write(b, 'PUSHED2')).status).toBe(200);
    expect((await call(a, 'GET', '/health')).status).toBe(200);
  }, 120_000);
});
