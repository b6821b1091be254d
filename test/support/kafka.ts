import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { createTopics } from '@app/features';
import { ROOT, tempDataDir } from './helpers';

/** The broker `npm test` starts (scripts/kafka.sh, 127.0.0.1:9092); started here too if it is not running. */
export async function ensureDefaultBroker(): Promise<string[]> {
  await script(['start'], {});
  return ['127.0.0.1:9092'];
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
  const env = { KAFKA_PORT: String(port), KAFKA_DATA_DIR: tmp.dir, KAFKA_HEAP: '384m' };
  await script(['start'], env);
  return {
    brokers: [`127.0.0.1:${port}`],
    stop: () => script(['stop'], env),
    start: () => script(['start'], env),
    async close() {
      await script(['stop'], env);
      tmp.cleanup();
    },
  };
}

function script(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['scripts/kafka.sh', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 180_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`kafka.sh ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 2000 } });
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

/** `npm run ingest -- stream …` as a child process. */
export interface Worker {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  ready(): Promise<void>;
}

export function startWorker(dataDir: string, args: string[]): Worker {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/ingest/src/main.ts', 'stream', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir } });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    ready: () =>
      new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (output.includes('streaming ')) {
            clearInterval(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`worker exited: ${output}`));
          }
        }, 50);
      }),
  };
}

/** Reads one counter or gauge from a Prometheus text endpoint (summed over labels). */
export async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
