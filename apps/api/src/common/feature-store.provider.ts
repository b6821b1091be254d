import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { FeatureStore, type DeliveryEvent } from '@app/features';
import { ApiMetrics } from '../metrics/api-metrics';

/** DI token of the process's FeatureStore. */
export const FEATURE_STORE = Symbol('FEATURE_STORE');

/** Injects the FeatureStore. */
export const InjectFeatureStore = (): ParameterDecorator => Inject(FEATURE_STORE);

/**
 * Retries pending MLflow links on a timer while the app runs, counts their deliveries and logs
 * each link's trouble once; closes the stores when it stops.
 */
@Injectable()
export class FeatureStoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FeatureStore');
  private timer?: NodeJS.Timeout;
  constructor(
    @InjectFeatureStore() private readonly store: FeatureStore,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const relay = this.store.lineageRelay;
    if (!relay) return;
    relay.observe({ delivery: (event) => this.delivered(event) });
    this.metrics.watchMlflowPending(() => relay.pendingCount());
    this.timer = setInterval(() => {
      relay.tick().catch((error: unknown) => this.logger.warn(`lineage retry failed: ${(error as Error).message}`));
    }, this.store.config.lineage.retrySeconds * 1000);
    this.timer.unref();
  }

  // One line per link and trouble: when it is refused for good, and at its first failed attempt
  // (later retries of the same link stay quiet; the pending gauge and GET /v1/runs/{id} show them).
  private delivered(event: DeliveryEvent): void {
    this.metrics.mlflowDelivery(event.outcome);
    const link = `run ${event.runId} ← training set ${event.trainingSetId}`;
    if (event.outcome === 'failed') this.logger.warn(`MLflow refused the link ${link}; not retried (link it again to retry): ${event.error}`);
    else if (event.outcome === 'retried' && event.attempts === 1) this.logger.warn(`MLflow link ${link} not delivered, retrying with backoff: ${event.error}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.logger.log('closing stores');
    await this.store.close();
  }
}
