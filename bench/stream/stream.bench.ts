import { DEFAULT_BROKERS } from '../../test/support/kafka';
import { options } from '../support/options';
import { freshnessBench, type FreshnessResult, type FreshnessSettings } from './freshness';
import { reportStream } from './report';
import { StreamRun, type StreamSettings } from './stream-run';
import { throughputBench, type ThroughputResult } from './throughput';

/**
 * Kafka stream benchmark (issue 6, "Speed"):
 * 1. produce N bar messages (symbols x days, in time order, keyed by symbol) to a fresh topic;
 * 2. a do-nothing kafkajs consumer reads them all (baseline messages/s);
 * 3. the real stream worker (`apps/ingest/src/main.ts stream`, a child process) reads them into a
 *    fresh lake, for a few --batch-size/--batch-ms settings; the lake is checked with DuckDB
 *    (1-3: throughput.ts);
 * 4. freshness: over a materialised catalog, new bars produced at a steady rate; the time from
 *    produce to online-visible is sampled (freshness.ts).
 *
 * Options: --symbols 5000 --days 200 --partitions 6 --settings 5000:1000,20000:1000,50000:2000,200000:4000
 *          --fresh-symbols 300 --fresh-history 300 --fresh-rate 5000 --fresh-seconds 60
 *          --fresh-batch 5000:100 --fresh-warmup 5 --sample 50 --brokers 127.0.0.1:9092 --skip-fresh --skip-throughput
 *          --node-args "--cpu-prof --cpu-prof-dir=/tmp/prof" (extra node flags for the worker)
 */
export async function runStreamBench(args: string[]): Promise<void> {
  const opts = options(args);
  const symbols = Number(opts.symbols ?? '5000');
  const days = Number(opts.days ?? '200');
  const settings: StreamSettings = {
    symbols,
    days,
    total: symbols * days,
    partitions: Number(opts.partitions ?? '6'),
    batchSettings: (opts.settings ?? '5000:1000,20000:1000,50000:2000,200000:4000').split(',').map((s) => s.split(':').map(Number) as [number, number]),
    brokers: [opts.brokers ?? DEFAULT_BROKERS[0]],
    nodeArgs: opts['node-args'] ? opts['node-args'].split(' ').filter(Boolean) : [],
  };
  const [batchSize, batchMs] = (opts['fresh-batch'] ?? '5000:100').split(':').map(Number);
  const fresh: FreshnessSettings = {
    symbols: Number(opts['fresh-symbols'] ?? '300'),
    historyDays: Number(opts['fresh-history'] ?? '300'),
    rate: Number(opts['fresh-rate'] ?? '5000'),
    seconds: Number(opts['fresh-seconds'] ?? '60'),
    sampleEvery: Number(opts.sample ?? '50'),
    warmupSeconds: Number(opts['fresh-warmup'] ?? '5'),
    batchSize,
    batchMs,
  };

  const run = await StreamRun.open(settings);
  try {
    const throughput: ThroughputResult | null = opts['skip-throughput'] ? null : await throughputBench(run);
    const freshness: FreshnessResult | null = opts['skip-fresh'] ? null : await freshnessBench(run, fresh);
    reportStream(args, settings, fresh.sampleEvery, throughput, freshness);
  } finally {
    await run.close();
  }
}
