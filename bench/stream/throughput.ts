import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { DuckDbClient, fileLiteral, sql } from '@app/features';
import { metricTable, scrapeMetrics } from '../../test/support/prometheus';
import { hasExited } from '../../test/support/processes';
import { waitFor } from '../../test/support/wait';
import { produceAll } from './bar-messages';
import type { StreamRun } from './stream-run';

export interface WorkerRun {
  readonly batchSize: number;
  readonly batchMs: number;
  readonly fromSpawnMs: number;
  readonly fromReadyMs: number;
  readonly firstRowMs: number;
  readonly batches: number;
  readonly meanBatchMs: number;
  readonly peakRssMiB: number;
  readonly deadLetters: number;
  readonly lakeRows: number;
  readonly lakeDistinct: number;
  readonly lakeFiles: number;
}

export interface ThroughputResult {
  readonly topic: string;
  readonly produced: { ms: number; bytes: number };
  readonly baseline: { ms: number };
  readonly workers: WorkerRun[];
}

/**
 * Throughput: N bar messages produced to a fresh topic; a do-nothing kafkajs consumer reads them
 * all (the baseline); then the real stream worker reads them into a fresh lake, once per
 * --batch-size/--batch-ms setting, and the lake is checked with DuckDB after each.
 */
export async function throughputBench(run: StreamRun): Promise<ThroughputResult> {
  const { symbols, days, partitions, total, batchSettings } = run.settings;
  const topic = `bench.stream.${run.runId}`;
  await run.createTopic(topic);
  console.error(`producing ${total} messages (${symbols} symbols x ${days} days) to ${topic} (${partitions} partitions) …`);
  const produced = await produceAll(run.kafka, topic, symbols, days);
  console.error(`produced in ${produced.ms.toFixed(0)} ms: ${Math.round(total / (produced.ms / 1000))} msg/s, ${(produced.bytes / 2 ** 20).toFixed(0)} MiB`);

  console.error('do-nothing consumer …');
  const baseline = await noopConsumer(run.kafka, topic, `bench-noop-${run.runId}`, total);
  console.error(`do-nothing consumer: ${baseline.ms.toFixed(0)} ms, ${Math.round(total / (baseline.ms / 1000))} msg/s`);

  const workers: WorkerRun[] = [];
  for (const [batchSize, batchMs] of batchSettings) {
    const dir = run.freshDir(`tp-${batchSize}-${batchMs}`);
    console.error(`worker --batch-size ${batchSize} --batch-ms ${batchMs} …`);
    const timing = await timeWorker(run, dir, { topic, group: `bench-worker-${run.runId}-${batchSize}-${batchMs}`, batchSize, batchMs }, total);
    const lake = await verifyLake(dir);
    workers.push({ ...timing, batchSize, batchMs, lakeRows: lake.rows, lakeDistinct: lake.distinct, lakeFiles: lake.files });
    console.error(
      `  ${timing.fromReadyMs.toFixed(0)} ms from ready (${timing.fromSpawnMs.toFixed(0)} from spawn): ${Math.round(total / (timing.fromReadyMs / 1000))} msg/s; ` +
        `${timing.batches} batches, mean batch ${timing.meanBatchMs.toFixed(0)} ms; lake rows ${lake.rows}, distinct ${lake.distinct}, files ${lake.files}`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
  return { topic, produced, baseline, workers };
}

/** Runs the worker until its metrics account for `expected` messages (rows + dead letters + already stored). */
async function timeWorker(run: StreamRun, dataDir: string, options: { topic: string; group: string; batchSize: number; batchMs: number }, expected: number) {
  const { worker: w, metricsPort } = await run.startWorker(dataDir, options);
  try {
    await w.ready();
    const ready = performance.now();
    let firstRow = 0;
    let peakRss = 0;
    // Sampled every 100 ms: the resolution of the timing and of the peak RSS.
    await waitFor(
      async () => {
        const m = metricTable(await scrapeMetrics(metricsPort));
        const done = (m.feature_store_stream_rows_total ?? 0) + (m.feature_store_stream_dead_letters_total ?? 0) + (m.feature_store_stream_redelivered_total ?? 0);
        peakRss = Math.max(peakRss, m.feature_store_stream_process_resident_memory_bytes ?? 0);
        if (!firstRow && done > 0) firstRow = performance.now();
        if (done >= expected) return true;
        if (hasExited(w.child)) throw new Error(`worker exited: ${w.output()}`);
        return false;
      },
      { timeoutMs: Number.POSITIVE_INFINITY, everyMs: 100 },
    );
    const end = performance.now();
    const m = metricTable(await scrapeMetrics(metricsPort));
    await w.stop();
    return {
      fromSpawnMs: end - w.spawnedAt,
      fromReadyMs: end - ready,
      firstRowMs: firstRow - ready,
      batches: m.feature_store_stream_batches_total ?? 0,
      meanBatchMs: (1000 * (m.feature_store_stream_batch_duration_seconds_sum ?? 0)) / Math.max(1, m.feature_store_stream_batch_duration_seconds_count ?? 0),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      deadLetters: m.feature_store_stream_dead_letters_total ?? 0,
    };
  } finally {
    w.kill();
  }
}

/** A kafkajs consumer that only counts (eachBatch, autoCommit): the ceiling for any consumer here. */
async function noopConsumer(kafka: Kafka, topic: string, group: string, expected: number): Promise<{ ms: number }> {
  const consumer = kafka.consumer({ groupId: group });
  const started = performance.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let n = 0;
    await new Promise<void>((resolveDone) => {
      void consumer.run({
        autoCommit: true,
        eachBatch: async ({ batch }) => {
          n += batch.messages.length;
          if (n >= expected) resolveDone();
        },
      });
    });
    return { ms: performance.now() - started };
  } finally {
    await consumer.disconnect();
  }
}

/** Rows, distinct (symbol, ts) and files of the lake's bars_1d: every message exactly once. */
async function verifyLake(dataDir: string): Promise<{ rows: number; distinct: number; files: number }> {
  if (!existsSync(join(dataDir, 'lake', 'bars_1d'))) return { rows: 0, distinct: 0, files: 0 };
  const files = fileLiteral(join(dataDir, 'lake', 'bars_1d', 'date=*', '*.parquet'));
  const db = await DuckDbClient.open();
  try {
    const row = await db.withSession((s) =>
      s.one<{ rows: bigint; distinct_keys: bigint; files: bigint }>(
        sql`SELECT count(*) AS rows, count(DISTINCT (symbol, ts)) AS distinct_keys, count(DISTINCT filename) AS files FROM read_parquet(${files}, filename = true)`,
      ),
    );
    return { rows: Number(row!.rows), distinct: Number(row!.distinct_keys), files: Number(row!.files) };
  } finally {
    db.close();
  }
}
