import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { FeatureStore } from '@app/features';
import { ErrorFilter } from './common/error.filter';
import { FEATURE_STORE, FeatureStoreLifecycle } from './common/feature-store.provider';
import { DatasetsController } from './datasets/datasets.controller';
import { FeatureViewsController } from './features/feature-views.controller';
import { OnlineFeaturesController } from './features/online-features.controller';
import { FeastController } from './features/feast.controller';
import { HealthController } from './health/health.controller';
import { ApiMetrics } from './metrics/api-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { trainingSetControllers, trainingSetProviders } from './training-sets/training-sets.providers';

/** The HTTP API around one opened FeatureStore. */
@Module({})
export class AppModule {
  static forStore(store: FeatureStore, metrics: ApiMetrics): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, DatasetsController, FeatureViewsController, ...trainingSetControllers, OnlineFeaturesController, FeastController, MetricsController],
      providers: [{ provide: FEATURE_STORE, useValue: store }, { provide: ApiMetrics, useValue: metrics }, FeatureStoreLifecycle, { provide: APP_FILTER, useClass: ErrorFilter }, ...trainingSetProviders],
    };
  }
}
