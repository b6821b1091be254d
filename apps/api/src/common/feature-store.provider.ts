import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { FeatureStore } from '@app/features';

/** DI token of the process's FeatureStore. */
export const FEATURE_STORE = Symbol('FEATURE_STORE');

/** Injects the FeatureStore. */
export const InjectFeatureStore = (): ParameterDecorator => Inject(FEATURE_STORE);

/** Retries pending MLflow links on a timer while the app runs; closes the stores when it stops. */
@Injectable()
export class FeatureStoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FeatureStore');
  private timer?: NodeJS.Timeout;
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  onApplicationBootstrap(): void {
    const relay = this.store.lineageRelay;
    if (!relay) return;
    this.timer = setInterval(() => {
      relay.tick().catch((error: unknown) => this.logger.warn(`lineage retry failed: ${(error as Error).message}`));
    }, this.store.config.lineage.retrySeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.logger.log('closing stores');
    await this.store.close();
  }
}
