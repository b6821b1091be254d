import { Cluster } from '../support/cluster';
import { tempDataDir } from '../support/helpers';
import { ensureDefaultBroker, kafkaClient, produce, topicSize, withAdmin } from '../support/kafka';
import { metric } from '../support/prometheus';
import { startRedis, type TestRedis } from '../support/redis.server';
import { asMessage, bars, expected, lake, topicName } from '../support/stream-fixtures';
import { expectEventually, sleep } from '../support/wait';
import { call, seedSharedStore, startFaultRegistry, type FaultRegistry } from './fault-setup';

const BATCH = 100;

// Two stream workers of one consumer group and an API replica (separate processes) on one data
// folder, one Redis and the shared Kafka broker; a worker is SIGKILLed while bars still arrive.
describe('faults: a stream worker SIGKILLed mid-batch beside another of its group', () => {
  let brokers: string[];
  let tmp: ReturnType<typeof tempDataDir>;
  let redis: TestRedis;
  let registry: FaultRegistry;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    brokers = await ensureDefaultBroker();
    tmp = tempDataDir();
    registry = await startFaultRegistry();
    redis = await startRedis();
    await seedSharedStore(tmp.dir, { ONLINE_STORE: redis.url, ...registry.env });
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    await redis?.close();
    await registry?.close();
    tmp?.cleanup();
  });

  it('lets the other worker take its partitions: the lake ends with every produced bar once, the replica serves each symbol at its last bar', async () => {
    const topic = topicName('faults');
    const group = 'g-faults';
    // The catalog's source: the workers refresh its stream views online, and an API replica serves them.
    const DS = 'bars_1d';
    const symbols = Array.from({ length: 12 }, (_, i) => `F${String(i).padStart(3, '0')}`);
    const produced = bars(symbols, 150, 17);
    // The topic exists (3 partitions, the broker's default) before the workers join, so both get some.
    await produce(brokers, topic, produced.slice(0, 1).map(asMessage));
    // (--pending-scan-ms: a survivor adopts the online refreshes the killed worker left pending soon.)
    const args = ['--topic', topic, '--dataset', DS, '--group', group, '--batch-size', String(BATCH), '--batch-ms', '100', '--pending-scan-ms', '500'];
    cluster = await Cluster.start({
      dataDir: tmp.dir,
      env: { ONLINE_STORE: redis.url, ...registry.env },
      apis: ['api'],
      workers: [
        { name: 'w1', args },
        { name: 'w2', args },
      ],
    });
    const handled = (name: string) => metric(cluster!.metricsPort(name), 'feature_store_stream_messages_total').catch(() => 0);
    // Both members of the group (each assigned partitions) before the load comes.
    await expectEventually(async () => {
      const [[description]] = await withAdmin(brokers, async (admin) => (await admin.describeGroups([group])).groups.map((g) => [g]));
      expect(description.members.filter((m) => m.memberAssignment.length > 0)).toHaveLength(2);
      expect(description.state).toBe('Stable');
    }, 60_000, 250);

    // A paced producer: 60 bars every 50 ms, so the kill lands while bars keep arriving.
    const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let sent = 1;
    let killedAt = -1;
    let handledByW1AtKill = 0;
    try {
      while (sent < produced.length) {
        const chunk = produced.slice(sent, sent + 60);
        await producer.send({ topic, acks: -1, messages: chunk.map(asMessage) });
        sent += chunk.length;
        // Mid-stream: once both have written batches and about a third is produced.
        if (killedAt < 0 && sent >= produced.length / 3 && (await handled('w1')) > 0 && (await handled('w2')) > 0) {
          handledByW1AtKill = await handled('w1');
          killedAt = Date.now();
          await cluster.kill('w1', 'SIGKILL');
        }
        await sleep(50); // pacing of the producer
      }
    } finally {
      await producer.disconnect();
    }
    expect(killedAt).toBeGreaterThan(0);
    expect(handledByW1AtKill).toBeGreaterThan(0);
    expect(await topicSize(brokers, topic)).toBe(produced.length);

    // The survivor is handed every partition once the dead member's session expires, and catches up.
    await expectEventually(async () => expect((await lake(tmp.dir, symbols, DS)).current.size).toBe(produced.length), 90_000, 250).catch((error: Error) => {
      throw new Error(`${error.message}\nw2: ${cluster!.output('w2').slice(-3000)}`);
    });
    const [[offsets], ends] = await withAdmin(brokers, (admin) => Promise.all([admin.fetchOffsets({ groupId: group, topics: [topic] }), admin.fetchTopicOffsets(topic)]));
    await expectEventually(async () => {
      const [[now]] = await withAdmin(brokers, (admin) => Promise.all([admin.fetchOffsets({ groupId: group, topics: [topic] })]));
      for (const p of now.partitions) expect({ partition: p.partition, committed: p.offset }).toEqual({ partition: p.partition, committed: ends.find((e) => e.partition === p.partition)!.high });
    }, 30_000, 250);
    expect(offsets.partitions).toHaveLength(ends.length);
    const [[description]] = await withAdmin(brokers, async (admin) => (await admin.describeGroups([group])).groups.map((g) => [g]));
    expect(description.members).toHaveLength(1);

    // Every produced bar, with its values, as readers see the lake; nothing else.
    const { current, copies } = await lake(tmp.dir, symbols, DS);
    const want = expected(produced);
    expect(current.size).toBe(want.size);
    for (const [key, bar] of want) if (current.get(key)?.close !== bar.close || current.get(key)?.volume !== bar.volume) expect({ key, bar: current.get(key) }).toEqual({ key, bar });
    // Stored copies: as in the single-worker kill test, only the batch being written when the kill
    // came may be stored twice (written, then re-delivered before its watermark was recorded).
    const doubled = [...copies.values()].filter((n) => n > 1).length;
    const tripled = [...copies.values()].filter((n) => n > 2).length;
    console.log(`stream workers: w1 handled ${handledByW1AtKill} messages before its SIGKILL; w2 ${await handled('w2')} in all; ${doubled} bars stored twice`);
    expect(tripled).toBe(0);
    expect(doubled).toBeLessThanOrEqual(BATCH);
    expect(cluster.running('w2')).toBe(true);

    // Online, through the API replica: every symbol's stream views at its last produced bar,
    // the killed worker's pending refreshes included.
    const last = new Map<string, string>();
    for (const bar of produced) if ((last.get(bar.symbol) ?? '') < bar.ts) last.set(bar.symbol, bar.ts);
    await expectEventually(async () => {
      const res = await call(cluster!.url('api'), 'POST', '/v1/online-features', { features: ['returns:ret_1d', 'trend:macd'], entities: { symbol: symbols } });
      expect(res.status).toBe(200);
      symbols.forEach((symbol, j) => {
        const ts = res.body.metadata[j].eventTimestamps;
        const want = last.get(symbol)!.replace(/Z$/, '');
        expect({ symbol, returns: ts.returns__ret_1d?.replace(/(\.000)?Z$/, ''), trend: ts.trend__macd?.replace(/(\.000)?Z$/, '') }).toEqual({ symbol, returns: want, trend: want });
      });
    }, 60_000, 250);
  }, 180_000);
});
