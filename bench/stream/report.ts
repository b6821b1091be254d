import { commandLine, machine, ratio, writeResults } from '../support/report';
import type { FreshnessResult } from './freshness';
import type { StreamSettings } from './stream-run';
import type { ThroughputResult } from './throughput';

/** Writes bench/results/stream.{json,md}: throughput and freshness, whichever ran. */
export function reportStream(args: readonly string[], settings: StreamSettings, sampleEvery: number, tp: ThroughputResult | null, fr: FreshnessResult | null): void {
  const { total, symbols, days, partitions, brokers } = settings;
  const rate = (ms: number) => Math.round(total / (ms / 1000));
  const lines: string[] = [`# Stream benchmark (${new Date().toISOString()})`, ''];
  const command = commandLine('stream', args);
  const json: Record<string, unknown> = { command, machine: machine() };
  lines.push(`Command: \`${command}\`; machine: ${JSON.stringify(machine())}. Broker: local single-node Kafka (scripts/kafka.sh, ${brokers.join(',')}), on the same machine.`, '');
  if (tp) {
    const baselineRate = rate(tp.baseline.ms);
    const best = tp.workers.reduce((a, b) => (rate(b.fromReadyMs) > rate(a.fromReadyMs) ? b : a));
    const bestRate = rate(best.fromReadyMs);
    const vsBaseline = ratio(bestRate, baselineRate);
    const lakeOk = tp.workers.every((w) => w.lakeDistinct === total && w.lakeRows === total);
    json.throughput = {
      messages: total,
      symbols,
      days,
      partitions,
      produceMs: Math.round(tp.produced.ms),
      produceRate: rate(tp.produced.ms),
      produceMiB: Number((tp.produced.bytes / 2 ** 20).toFixed(1)),
      baselineMs: Math.round(tp.baseline.ms),
      baselineRate,
      workers: tp.workers.map((w) => ({ ...w, rate: rate(w.fromReadyMs), rateFromSpawn: rate(w.fromSpawnMs), fromSpawnMs: Math.round(w.fromSpawnMs), fromReadyMs: Math.round(w.fromReadyMs), meanBatchMs: Math.round(w.meanBatchMs) })),
      best: { batchSize: best.batchSize, batchMs: best.batchMs, rate: bestRate },
      ratio: vsBaseline,
      lakeExact: lakeOk,
      goals: { halfOfBaseline: vsBaseline >= 0.5, atLeast30k: bestRate >= 30_000 },
    };
    lines.push(
      `## Throughput: ${total.toLocaleString('en')} messages (${symbols} symbols x ${days} consecutive days, time order, keyed by symbol), topic of ${partitions} partitions`,
      '',
      `Produced first (kafkajs producer, acks=1, 4 requests of 5,000 messages in flight): ${Math.round(tp.produced.ms)} ms, **${rate(tp.produced.ms)} msg/s** (${(tp.produced.bytes / 2 ** 20).toFixed(0)} MiB of JSON). Then consumed:`,
      '',
      '| consumer | --batch-size | --batch-ms | ms (from ready) | msg/s | msg/s from spawn | batches | mean batch ms | peak RSS MiB | lake rows / distinct (symbol, ts) | lake files |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
      `| do-nothing kafkajs (eachBatch counts, autoCommit) | | | ${Math.round(tp.baseline.ms)} | **${baselineRate}** | | | | | | |`,
      ...tp.workers.map(
        (w) =>
          `| stream worker (child process) | ${w.batchSize} | ${w.batchMs} | ${Math.round(w.fromReadyMs)} | **${rate(w.fromReadyMs)}** | ${rate(w.fromSpawnMs)} | ${w.batches} | ${Math.round(w.meanBatchMs)} | ${w.peakRssMiB} | ${w.lakeRows} / ${w.lakeDistinct} | ${w.lakeFiles} |`,
      ),
      '',
      `"From ready": from the worker's "streaming …" line (connected, subscribed) until its metrics show rows + dead letters + already stored = ${total}; the do-nothing consumer is timed from connect to its ${total}th message. "From spawn" adds the worker's start (node + swc register, store open).`,
      '',
      `Best setting: --batch-size ${best.batchSize} --batch-ms ${best.batchMs}: **${bestRate} msg/s = ${vsBaseline}x the do-nothing consumer** (goal >= 0.5x: ${vsBaseline >= 0.5 ? 'met' : 'MISSED'}; goal >= 30,000 msg/s: ${bestRate >= 30_000 ? 'met' : 'MISSED'}). Lake checked with DuckDB after every run: ${lakeOk ? `exactly ${total} rows and ${total} distinct (symbol, ts) each time` : 'MISMATCH (see table)'}.`,
      '',
    );
  }
  if (fr) {
    json.freshness = { ...fr, goal: { p99Under1s: fr.p99Ms < 1000, p99Under1sAfterWarmup: fr.steady.p99Ms < 1000 } };
    lines.push(
      `## Freshness: produce -> online-visible at ${fr.targetRate} msg/s for ${fr.seconds} s`,
      '',
      `Data dir: ${fr.symbols} synthetic symbols x ${fr.historyDays} days of history, built-in catalog applied and materialised (stream views: ${fr.streamViews.join(', ')}), then the worker (--batch-size ${fr.batchSize} --batch-ms ${fr.batchMs}) consumes new bars (one per symbol per round, ts after the history). ` +
        `1 in ${sampleEvery} messages is sampled: stamped when handed to the producer, and the online store (${fr.polledView}, read from LMDB in the bench process every ~5 ms) polled until that symbol's eventTs reaches the produced ts.`,
      '',
      '| produced | achieved msg/s | samples | visible | missed | p50 ms | p90 ms | p99 ms | max ms | batches | mean batch ms |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${fr.produced} | ${fr.achievedRate} | ${fr.sampled} | ${fr.visible} | ${fr.missed} | ${fr.p50Ms} | ${fr.p90Ms} | **${fr.p99Ms}** | ${fr.maxMs} | ${fr.batches} | ${fr.meanBatchMs} |`,
      '',
      `Goal p99 < 1 s, all samples: ${fr.p99Ms < 1000 && fr.missed === 0 ? 'met' : 'MISSED'}. After the first ${fr.warmupSeconds} s (the warm-up: the worker's first refreshes read each view's recent rows from the lake and measure the views): ${fr.steady.samples} samples, p50 ${fr.steady.p50Ms} ms, p90 ${fr.steady.p90Ms} ms, **p99 ${fr.steady.p99Ms} ms**, max ${fr.steady.maxMs} ms (${fr.steady.p99Ms < 1000 && fr.missed === 0 ? 'met' : 'MISSED'}).`,
      '',
      'By 10 s of production:',
      '',
      '| from s | samples | p50 ms | p99 ms | max ms |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...fr.windows.map((w) => `| ${w.fromS} | ${w.samples} | ${w.p50Ms} | ${w.p99Ms} | ${w.maxMs} |`),
      '',
      `Per stream view (the same samples, read every ~50 ms; the cheap views are refreshed in one shared pass, cheapest first, each written online as soon as it is computed; a slow view has a pass of its own, spaced by its length; ${fr.refreshes} view refreshes, mean ${fr.meanRefreshMs} ms):`,
      '',
      '| view | refreshes (probe / shared / slow) | visible | missed | p50 ms | p90 ms | p99 ms |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
      ...fr.perView.map((v) => `| ${v.view} | ${v.refreshes.probe ?? 0} / ${v.refreshes.shared ?? 0} / ${v.refreshes.slow ?? 0} | ${v.visible} | ${v.missed} | ${v.p50Ms} | ${v.p90Ms} | ${v.p99Ms} |`),
      '',
    );
  }
  writeResults('stream', json, lines.join('\n'));
}
