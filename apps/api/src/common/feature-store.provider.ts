import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { FeatureStore } from '@app/features';

/** DI token of the process's FeatureStore. */
export const FEATURE_STORE = Symbol('FEATURE_STORE');

/** Injects the FeatureStore. */
export const InjectFeatureStore = (): ParameterDecorator => Inject(FEATURE_STORE);

/** Closes the stores when the app shuts down. */
@Injectable()
export class FeatureStoreLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('FeatureStore');
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  async onApplicationShutdown(): Promise<void> {
    this.logger.log('closing stores');
    await this.store.close();
  }
}
