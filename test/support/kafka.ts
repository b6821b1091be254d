import { execFile } from 'node:child_process';
import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { createTopics } from '@app/features';
import { ROOT, tempDataDir } from './helpers';
import { freePort } from './ports';

/** The broker `npm test` and the stream bench use (scripts/kafka.sh's default port). */
export const DEFAULT_BROKERS: readonly string[] = ['127.0.0.1:9092'];

/** The default broker; started here too if it is not running. */
export async function ensureDefaultBroker(): Promise<string[]> {
  await kafkaScript(['start']);
  return [...DEFAULT_BROKERS];
}

/** A broker of its own (another port, its own data folder) that a test may stop and start. */
export interface TestBroker {
  readonly brokers: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startBroker(port: number): Promise<TestBroker> {
  const tmp = tempDataDir('fs-kafka-');
  // The controller's port is asked for too: port + 1 (the script's default) may be taken (a CI
  // run failed on it), and the broker then dies at start.
  let controller = await freePort();
  while (controller === port) controller = await freePort();
  const env = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controller), KAFKA_DATA_DIR: tmp.dir, KAFKA_HEAP: '384m' };
  await kafkaScript(['start'], env);
  return {
    brokers: [`127.0.0.1:${port}`],
    stop: async () => void (await kafkaScript(['stop'], env)),
    start: async () => void (await kafkaScript(['start'], env)),
    async close() {
      await kafkaScript(['stop'], env);
      tmp.cleanup();
    },
  };
}

/** Runs scripts/kafka.sh (start, stop, status) with extra environment; resolves to its output. */
export function kafkaScript(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['scripts/kafka.sh', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 180_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`kafka.sh ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`)) : resolve(`${stdout}${stderr}`),
    );
  });
}

/** A client that retries 30 times, up to 2 s apart: a broker just started may not lead its partitions yet. */
export function kafkaClient(brokers: readonly string[], clientId = 'test'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 2000 } });
}

/**
 * Sends the messages, each exactly once: the topic is created (its partitions led) before the
 * first send, and the producer is idempotent. A plain producer that meets a partition error on a
 * just-created topic sends the broker's whole request again, partitions already written included,
 * and so writes their messages twice (seen on a fresh broker in CI).
 */
export async function produce(brokers: string[], topic: string, messages: Message[]): Promise<void> {
  await withAdmin(brokers, (admin) => createTopics(admin, [{ topic }]));
  const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
  } finally {
    await producer.disconnect();
  }
}

/** How many messages the topic holds (its partitions' end offsets, summed; nothing is deleted in a test). */
export async function topicSize(brokers: string[], topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0));
}

/** Runs `work` with a connected admin client, disconnected afterwards. */
export async function withAdmin<T>(brokers: string[], work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Every message of a topic from the beginning (a throwaway consumer group). */
export async function consumeAll(brokers: string[], topic: string, expected: number, timeoutMs = 30_000): Promise<Array<{ key: string | null; value: Buffer | null; headers: Record<string, string> }>> {
  const consumer = kafkaClient(brokers).consumer({ groupId: `reader-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Array<{ key: string | null; value: Buffer | null; headers: Record<string, string> }> = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
        out.push({ key: message.key?.toString('utf8') ?? null, value: message.value, headers });
        if (out.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}
