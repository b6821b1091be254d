import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { LmdbOnlineStore, marketCatalog, syntheticSymbol } from '@app/features';
import { metricTable, scrapeMetrics, type MetricSample } from '../../test/support/prometheus';
import { sleep, waitFor } from '../../test/support/wait';
import { summarise } from '../support/stats';
import { applyAndMaterialize, ingestSyntheticBars, withStore } from '../support/store-setup';
import { DAY_MS, barMessage } from './bar-messages';
import { FreshnessProbe } from './freshness-probe';
import type { StreamRun } from './stream-run';

export interface FreshnessSettings {
  readonly symbols: number;
  readonly historyDays: number;
  readonly rate: number;
  readonly seconds: number;
  readonly sampleEvery: number;
  readonly warmupSeconds: number;
  readonly batchSize: number;
  readonly batchMs: number;
}

/** Rounded latency percentiles (ms) as the results name them. */
function latencyMs(values: readonly number[]) {
  const s = summarise(values, Math.round);
  return { p50Ms: s.p50, p90Ms: s.p90, p99Ms: s.p99, maxMs: s.max };
}

/**
 * Freshness: over a materialised catalog, new bars produced at a steady rate; the time from
 * produce to online-visible is sampled (1 in --sample messages) per stream view.
 */
export async function freshnessBench(run: StreamRun, f: FreshnessSettings) {
  const endDate = new Date('2020-12-31T00:00:00Z');
  const dir = run.freshDir('fresh');

  console.error(`freshness: ${f.symbols} symbols x ${f.historyDays} days of history, catalog applied and materialised …`);
  const setupStarted = performance.now();
  await withStore(
    dir,
    async (store) => {
      await ingestSyntheticBars(store, { symbols: f.symbols, days: f.historyDays, seed: 11, endDate, gapRate: 0 });
      await applyAndMaterialize(store, marketCatalog);
    },
    { BOOTSTRAP: 'false' },
  );
  const setupMs = performance.now() - setupStarted;
  const streamViews = marketCatalog.views.filter((v) => (v as { stream?: boolean }).stream).map((v) => v.name);

  const topic = `bench.stream.fresh.${run.runId}`;
  await run.createTopic(topic);
  const { worker: w, metricsPort } = await run.startWorker(dir, { topic, group: `bench-fresh-${run.runId}`, batchSize: f.batchSize, batchMs: f.batchMs });
  const online = LmdbOnlineStore.open(join(dir, 'online'));
  const producer = run.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await w.ready();
    // Let the group settle (the first fetch) before producing.
    await sleep(1000);
    // A sample counts for a view once that view's online row of the symbol reaches the produced
    // ts; the headline figures are the polled view's (`returns`).
    const probe = new FreshnessProbe(online, streamViews, streamViews.includes('returns') ? 'returns' : streamViews[0]);
    probe.start();
    const state = Array.from({ length: f.symbols }, (_, i) => 20 + i);
    const first = endDate.getTime() + DAY_MS;
    const target = f.rate * f.seconds;
    const started = performance.now();
    probe.markProductionStart(started);
    let sent = 0;
    let inFlight = 0;
    const sends: Array<Promise<unknown>> = [];
    let maxBehind = 0;
    while (sent < target) {
      const due = Math.min(target, Math.floor(((performance.now() - started) / 1000) * f.rate));
      if (due > sent) {
        maxBehind = Math.max(maxBehind, due - sent);
        const messages: Message[] = [];
        const samples: Array<{ sym: string; tsMs: number }> = [];
        for (; sent < due; sent++) {
          const s = sent % f.symbols;
          const day = Math.floor(sent / f.symbols);
          const sym = syntheticSymbol(s + 1);
          const tsMs = first + day * DAY_MS;
          messages.push(barMessage(sym, tsMs, state, s, day));
          if (sent % f.sampleEvery === 0) samples.push({ sym, tsMs });
        }
        probe.expect(samples, performance.now());
        inFlight++;
        sends.push(producer.send({ topic, acks: 1, messages }).finally(() => inFlight--));
      }
      await sleep(inFlight > 20 ? 20 : 5); // pacing: the producer's rate
    }
    await Promise.all(sends);
    const produceMs = performance.now() - started;
    const headline = probe.headlineView;
    const sampled = probe.latencies(headline).length + probe.pendingIn(headline);
    // The tail: every sample visible, or 30 s (what is still awaited then counts as missed).
    const tailDeadline = performance.now() + 30_000;
    await waitFor(() => !probe.anyPending() || performance.now() >= tailDeadline, { timeoutMs: 31_000, everyMs: 50 });
    const missedBy = await probe.stop();
    const samples = await scrapeMetrics(metricsPort);
    const m = metricTable(samples);
    const byRunner = refreshesByRunner(samples);
    await w.stop();
    const latencies = probe.latencies(headline);
    // After the warm-up (the worker's first refreshes read each view's recent rows from the lake
    // and measure the views), and per 10 s of production.
    const steady = probe.timeline.filter(([at]) => at >= f.warmupSeconds * 1000).map(([, ms]) => ms);
    const windows = Array.from({ length: Math.ceil(f.seconds / 10) }, (_, i) => {
      const l = probe.timeline.filter(([at]) => at >= i * 10_000 && at < (i + 1) * 10_000).map(([, ms]) => ms);
      const { p50Ms, p99Ms, maxMs } = latencyMs(l);
      return { fromS: i * 10, samples: l.length, p50Ms, p99Ms, maxMs };
    });
    const perView = streamViews.map((view) => {
      const l = probe.latencies(view);
      const { p50Ms, p90Ms, p99Ms } = latencyMs(l);
      return { view, refreshes: byRunner[`${view}@1`] ?? {}, visible: l.length, missed: missedBy.get(view) ?? 0, p50Ms, p90Ms, p99Ms };
    });
    const result = {
      symbols: f.symbols,
      historyDays: f.historyDays,
      setupMs: Math.round(setupMs),
      streamViews,
      polledView: `${headline}@1`,
      batchSize: f.batchSize,
      batchMs: f.batchMs,
      targetRate: f.rate,
      seconds: f.seconds,
      produced: target,
      achievedRate: Math.round(target / (produceMs / 1000)),
      maxProducerBehind: maxBehind,
      sampled,
      visible: latencies.length,
      missed: missedBy.get(headline) ?? 0,
      ...latencyMs(latencies),
      warmupSeconds: f.warmupSeconds,
      steady: { samples: steady.length, ...latencyMs(steady) },
      windows,
      batches: m.feature_store_stream_batches_total ?? 0,
      meanBatchMs: Math.round((1000 * (m.feature_store_stream_batch_duration_seconds_sum ?? 0)) / Math.max(1, m.feature_store_stream_batch_duration_seconds_count ?? 0)),
      onlineRows: m.feature_store_stream_online_rows_total ?? 0,
      rows: m.feature_store_stream_rows_total ?? 0,
      refreshes: m.feature_store_stream_online_refreshes_total ?? 0,
      meanRefreshMs: Math.round((1000 * (m.feature_store_stream_online_refresh_duration_seconds_sum ?? 0)) / Math.max(1, m.feature_store_stream_online_refresh_duration_seconds_count ?? 0)),
      perView,
    };
    console.error(`freshness: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await online.close().catch(() => undefined);
    w.kill();
  }
}

export type FreshnessResult = Awaited<ReturnType<typeof freshnessBench>>;

/** The worker's online refreshes per view version (`view@1`) and runner (probe, shared, slow). */
function refreshesByRunner(samples: readonly MetricSample[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const s of samples) if (s.name === 'feature_store_stream_online_view_refreshes_total') (out[s.labels.view] ??= {})[s.labels.runner] = s.value;
  return out;
}
