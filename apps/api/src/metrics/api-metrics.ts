import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { DeliveryOutcome, OnlineObserver } from '@app/features';

/** The API's Prometheus metrics, in their own registry (one per app, so tests can run several). */
export class ApiMetrics implements OnlineObserver {
  readonly registry = new Registry();
  private readonly requestSeconds = new Histogram({
    name: 'feature_store_http_request_duration_seconds',
    help: 'HTTP request latency by route (the route template, not the raw URL), method and status.',
    labelNames: ['method', 'route', 'status'],
    // Online lookups live in the first buckets; training sets and ingestion in the last.
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly onlineValues = new Counter({
    name: 'feature_store_online_values_total',
    help: 'Feature values served online, by result: present (hit), not_found (miss), outside_ttl (stale).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly storeErrors = new Counter({
    name: 'feature_store_online_store_errors_total',
    help: 'Online lookups that failed because the store could not answer, by store.',
    labelNames: ['store'],
    registers: [this.registry],
  });
  readonly rowsIngested = new Counter({
    name: 'feature_store_rows_ingested_total',
    help: 'Rows accepted into the lake through the API, by dataset.',
    labelNames: ['dataset'],
    registers: [this.registry],
  });
  private readonly mlflowDeliveries = new Counter({
    name: 'feature_store_mlflow_deliveries_total',
    help: 'Attempts to log a run link to MLflow, by outcome: logged (or found there already), failed (refused for good, not retried), retried (queued again).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private mlflowPendingSource: (() => Promise<number>) | null = null;
  // Read from the outbox at each scrape, so it is right after a restart too. A registry that
  // cannot answer (the store closing) leaves the last value rather than failing the scrape.
  private readonly mlflowPending: Gauge = new Gauge({
    name: 'feature_store_mlflow_pending',
    help: 'Run links waiting in the outbox to be logged to MLflow.',
    registers: [this.registry],
    collect: async (): Promise<void> => {
      const pending = this.mlflowPendingSource ? await this.mlflowPendingSource().catch(() => null) : 0;
      if (pending !== null) this.mlflowPending.set(pending);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'feature_store_' });
    // Counters show up at 0 before the first lookup, so dashboards and alerts have a series.
    for (const result of ['present', 'not_found', 'outside_ttl']) this.onlineValues.inc({ result }, 0);
    for (const outcome of ['logged', 'failed', 'retried']) this.mlflowDeliveries.inc({ outcome }, 0);
  }

  mlflowDelivery(outcome: DeliveryOutcome): void {
    this.mlflowDeliveries.inc({ outcome });
  }

  /** Where the pending gauge reads its value (the lineage relay's outbox). */
  watchMlflowPending(source: () => Promise<number>): void {
    this.mlflowPendingSource = source;
  }

  lookup(present: number, notFound: number, outsideTtl: number): void {
    if (present) this.onlineValues.inc({ result: 'present' }, present);
    if (notFound) this.onlineValues.inc({ result: 'not_found' }, notFound);
    if (outsideTtl) this.onlineValues.inc({ result: 'outside_ttl' }, outsideTtl);
  }

  storeError(store: string): void {
    this.storeErrors.inc({ store });
  }

  /** Times every request on the Fastify instance (onResponse: the reply has been sent). */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requestSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      done();
    });
  }
}
