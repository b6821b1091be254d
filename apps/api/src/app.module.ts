import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { FeatureStore } from '@app/features';
import { AuditAuthEvents } from './audit/audit-auth-events';
import { AuditController } from './audit/audit.controller';
import { AuditFrameworkErrors } from './audit/audit-framework-errors';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuthModule } from './auth/auth.module';
import { ErrorFilter } from './common/error.filter';
import { DatasetsController } from './datasets/datasets.controller';
import { FeastController } from './feast/feast.controller';
import { DefinitionsController } from './feature-views/definitions.controller';
import { FeatureViewsController } from './feature-views/feature-views.controller';
import { MaterializeController } from './feature-views/materialize.controller';
import { HealthController } from './health/health.controller';
import { LimitsModule } from './limits/limits.module';
import { ApiMetrics } from './metrics/api-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { DriftController } from './monitoring/drift.controller';
import { DriftMetrics } from './monitoring/drift-metrics';
import { LakeMetrics } from './lake/lake-metrics';
import { BackgroundCompaction } from './lake/background-compaction';
import { MonitorsController } from './monitoring/monitors.controller';
import { OnlineFeaturesController } from './online/online-features.controller';
import { OpenApiModule } from './openapi/openapi.module';
import { StatsController } from './stats/stats.controller';
import { StoreModule } from './store/store.module';
import { RunsController } from './training-sets/runs.controller';
import { TrainingSetPresenter } from './training-sets/training-set.presenter';
import { TrainingSetsController } from './training-sets/training-sets.controller';
import { LineageController } from './explore/lineage.controller';
import { SeriesController } from './explore/series.controller';
import { UiController } from './ui/ui.controller';

/** The API's controllers, one per capability (the auth module adds /v1/keys, the OpenAPI module its two). */
export const API_CONTROLLERS = [
  HealthController,
  DatasetsController,
  FeatureViewsController,
  DefinitionsController,
  MaterializeController,
  TrainingSetsController,
  RunsController,
  OnlineFeaturesController,
  FeastController,
  MetricsController,
  AuditController,
  DriftController,
  MonitorsController,
  StatsController,
  SeriesController,
  LineageController,
  UiController,
] as const;

/** The HTTP API around one opened FeatureStore: one controller per capability. */
@Module({})
export class AppModule {
  static forStore(store: FeatureStore, metrics: ApiMetrics): DynamicModule {
    return {
      module: AppModule,
      imports: [StoreModule.forStore(store, metrics), AuthModule.forConfig(store.config.auth, AuditAuthEvents), LimitsModule.forConfig(store.config.limits), OpenApiModule],
      controllers: [...API_CONTROLLERS],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }, AuditInterceptor, AuditFrameworkErrors, TrainingSetPresenter, DriftMetrics, LakeMetrics, BackgroundCompaction],
    };
  }
}
