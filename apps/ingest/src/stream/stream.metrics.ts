import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StreamBatchStats, StreamObserver, StreamRefreshStats } from '@app/features';

// Seconds, for the batch and the online refresh durations.
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The stream worker's Prometheus metrics, served on its own port (`--metrics-port`). */
export class StreamMetrics implements StreamObserver {
  readonly registry = new Registry();
  private readonly messages = new Counter({ name: 'feature_store_stream_messages_total', help: 'Messages consumed (written, dead-lettered or already stored).', registers: [this.registry] });
  private readonly rows = new Counter({ name: 'feature_store_stream_rows_total', help: 'Rows written into the lake.', registers: [this.registry] });
  private readonly batches = new Counter({ name: 'feature_store_stream_batches_total', help: 'Micro-batches written and committed.', registers: [this.registry] });
  private readonly deadLetters = new Counter({ name: 'feature_store_stream_dead_letters_total', help: 'Messages sent to the dead-letter topic.', registers: [this.registry] });
  private readonly redelivered = new Counter({ name: 'feature_store_stream_redelivered_total', help: 'Re-delivered messages skipped because they were already written.', registers: [this.registry] });
  private readonly onlineRows = new Counter({ name: 'feature_store_stream_online_rows_total', help: 'Online rows refreshed from the stream.', registers: [this.registry] });
  private readonly refreshes = new Counter({ name: 'feature_store_stream_online_refreshes_total', help: 'Online refreshes of the stream views (each covers every symbol written since the previous one).', registers: [this.registry] });
  private readonly viewRefreshes = new Counter({
    name: 'feature_store_stream_online_view_refreshes_total',
    help: "Online refreshes by view version and runner: 'probe' (its first, alone), 'shared' (the cheap views' pass), 'slow' (its own spaced runner).",
    labelNames: ['view', 'runner'],
    registers: [this.registry],
  });
  private readonly pendingGauge = new Gauge({ name: 'feature_store_stream_online_pending_symbols', help: 'Symbols written to the lake whose online values are not refreshed yet (0: online is current).', registers: [this.registry] });
  private readonly refreshErrors = new Counter({ name: 'feature_store_stream_online_refresh_errors_total', help: 'Online refreshes that failed (their symbols stay pending and are tried again).', labelNames: ['view'], registers: [this.registry] });
  private readonly auditErrors = new Counter({ name: 'feature_store_stream_audit_errors_total', help: 'Committed batches whose audit entry could not be appended.', registers: [this.registry] });
  private readonly refreshSeconds = new Histogram({
    name: 'feature_store_stream_online_refresh_duration_seconds',
    help: 'Time of one online refresh of the stream views.',
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly lagGauge = new Gauge({ name: 'feature_store_stream_consumer_lag', help: 'Messages behind the partition end after the last commit.', labelNames: ['partition'], registers: [this.registry] });
  private readonly batchSeconds = new Histogram({
    name: 'feature_store_stream_batch_duration_seconds',
    help: 'Time to write, dead-letter and commit one micro-batch (the online refresh runs apart).',
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private server: Server | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'feature_store_stream_' });
  }

  batch(stats: StreamBatchStats): void {
    this.messages.inc(stats.messages);
    this.rows.inc(stats.accepted);
    this.batches.inc();
    this.deadLetters.inc(stats.deadLetters);
    this.redelivered.inc(stats.alreadyStored);
    this.batchSeconds.observe(stats.ms / 1000);
    this.pendingGauge.set(stats.pendingRefresh);
  }

  refresh(stats: StreamRefreshStats): void {
    this.refreshes.inc();
    this.viewRefreshes.inc({ view: stats.view, runner: stats.runner });
    this.onlineRows.inc(stats.onlineRows);
    this.refreshSeconds.observe(stats.ms / 1000);
    this.pendingGauge.set(stats.pending);
  }

  lag(partition: number, lag: number): void {
    this.lagGauge.set({ partition: String(partition) }, lag);
  }

  refreshError(view: string, message: string): void {
    this.refreshErrors.inc({ view });
    console.error(`online refresh of ${view} failed (symbols kept pending, tried again): ${message}`);
  }

  auditError(message: string): void {
    this.auditErrors.inc();
    console.error(`audit entry of a committed batch not appended: ${message}`);
  }

  /** Serves GET /metrics on 127.0.0.1:port; resolves with the bound port. */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"GET /metrics"}}');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    return new Promise((resolve) =>
      this.server!.listen(port, host, () => {
        const address = this.server!.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
