import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Admin, Kafka } from 'kafkajs';
import { createTopics } from '@app/features';
import { DEFAULT_BROKERS, kafkaClient, kafkaScript } from '../../test/support/kafka';
import { freePort } from '../../test/support/ports';
import { startWorker, type Worker } from '../../test/support/stream-worker';
import { freshCacheDir } from '../support/cache';

export interface StreamSettings {
  readonly symbols: number;
  readonly days: number;
  /** symbols x days: the messages of the throughput run. */
  readonly total: number;
  readonly partitions: number;
  /** --batch-size:--batch-ms pairs the throughput run tries. */
  readonly batchSettings: ReadonlyArray<readonly [number, number]>;
  readonly brokers: readonly string[];
  /** Extra node flags for the worker (--node-args), e.g. for profiling. */
  readonly nodeArgs: readonly string[];
}

/**
 * What one stream bench run sets up and must take down again: the broker (if it started it),
 * its topics, data dirs and worker processes. Names carry a run id, so runs never share a topic.
 */
export class StreamRun {
  readonly runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  private readonly topics: string[] = [];
  private readonly dirs: string[] = [];
  private readonly workers = new Set<Worker>();
  private readonly killWorkers = () => {
    for (const w of this.workers) w.kill();
  };

  private constructor(
    readonly settings: StreamSettings,
    readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly startedBroker: boolean,
  ) {
    process.once('exit', this.killWorkers);
  }

  /** Connects to the brokers; starts the default local one if it is the one asked for and is not running. */
  static async open(settings: StreamSettings): Promise<StreamRun> {
    const startedBroker = settings.brokers[0] === DEFAULT_BROKERS[0] ? await startBrokerUnlessRunning() : false;
    const kafka = kafkaClient(settings.brokers, 'bench-stream');
    const admin = kafka.admin();
    await admin.connect();
    return new StreamRun(settings, kafka, admin, startedBroker);
  }

  async createTopic(name: string): Promise<void> {
    await createTopics(this.admin, [{ topic: name, numPartitions: this.settings.partitions, replicationFactor: 1 }]);
    this.topics.push(name);
  }

  /** An empty data dir of this run, removed at the end. */
  freshDir(label: string): string {
    const dir = freshCacheDir(`stream-${label}-${this.runId}`);
    this.dirs.push(dir);
    return dir;
  }

  /** The stream worker on `dataDir`, with its metrics on a free port. BENCH_WORKER_LOG=1 shows its output. */
  async startWorker(dataDir: string, options: { topic: string; group: string; batchSize: number; batchMs: number }): Promise<{ worker: Worker; metricsPort: number }> {
    const metricsPort = await freePort();
    const args = ['--dataset', 'bars_1d', '--topic', options.topic, '--group', options.group, '--batch-size', String(options.batchSize), '--batch-ms', String(options.batchMs), '--metrics-port', String(metricsPort), '--brokers', this.settings.brokers.join(',')];
    const worker = startWorker(dataDir, args, { nodeArgs: this.settings.nodeArgs, env: { BOOTSTRAP: 'false' }, echo: Boolean(process.env.BENCH_WORKER_LOG) });
    this.workers.add(worker);
    return { worker, metricsPort };
  }

  async close(): Promise<void> {
    this.killWorkers();
    process.off('exit', this.killWorkers);
    try {
      const existing = new Set(await this.admin.listTopics());
      const drop = this.topics.flatMap((t) => [t, `${t}.dlq`]).filter((t) => existing.has(t));
      if (drop.length) await this.admin.deleteTopics({ topics: drop, timeout: 30_000 });
    } catch (error) {
      console.error(`could not delete topics: ${(error as Error).message}`);
    }
    await this.admin.disconnect();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    if (this.startedBroker) await kafkaScript(['stop']);
  }
}

/** Starts the local broker if it is not running; true when this call started it (and the run stops it). */
async function startBrokerUnlessRunning(): Promise<boolean> {
  const status = await kafkaScript(['status']).catch(() => '');
  if (status.includes('running')) return false;
  await kafkaScript(['start']);
  return true;
}
