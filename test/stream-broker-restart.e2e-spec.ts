import { tempDataDir } from './support/helpers';
import { produce, startBroker, type TestBroker } from './support/kafka';
import { freePort } from './support/ports';
import { asMessage, bars, lake, seed, stop, topicName } from './support/stream-fixtures';
import { startWorker, type Worker } from './support/stream-worker';
import { expectEventually } from './support/wait';

// A broker of its own (started here, stopped and started again mid-stream), so the shared one of
// the other stream tests is never disturbed.
describe('streaming ingestion: a broker that restarts under a running worker', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  const workers: Worker[] = [];

  beforeAll(async () => {
    tmp = tempDataDir();
    await seed(tmp.dir);
  }, 180_000);
  afterAll(async () => {
    for (const w of workers) await stop(w, 'SIGKILL');
    tmp.cleanup();
  });

  describe('with a broker that restarts', () => {
    let broker: TestBroker;
    beforeAll(async () => {
      broker = await startBroker(await freePort());
    }, 120_000);
    afterAll(() => broker.close());

    it('rides out a broker restart without a worker restart', async () => {
      const topic = topicName('restart');
    const DS = 'stream_restart';
      const symbols = ['R001', 'R002', 'R003'];
      const produced = bars(symbols, 80, 13);
      const half = produced.length / 2;
      await produce(broker.brokers, topic, produced.slice(0, half).map(asMessage));
      const port = await freePort();
      const worker = startWorker(tmp.dir, ['--topic', topic, '--dataset', 'stream_restart', '--group', 'g-restart', '--brokers', broker.brokers.join(','), '--batch-size', '50', '--batch-ms', '100', '--metrics-port', String(port)]);
      workers.push(worker);
      await worker.ready();
      await expectEventually(async () => expect((await lake(tmp.dir, symbols, DS)).current.size).toBe(half), 60_000, 250);
      await broker.stop();
      await new Promise((r) => setTimeout(r, 2000));
      await broker.start();
      await produce(broker.brokers, topic, produced.slice(half).map(asMessage));
      await expectEventually(async () => expect((await lake(tmp.dir, symbols, DS)).current.size).toBe(produced.length), 120_000, 500);
      expect(worker.child.exitCode).toBeNull();
      expect(await stop(worker)).toBe(0);
    }, 240_000);
  });
});
