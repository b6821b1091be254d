import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import {
  AuditService,
  ConsistencyService,
  DatasetService,
  DriftService,
  FeatureStatsService,
  DatasetSummaryService,
  FeatureSeriesService,
  LineageGraphService,
  FeatureViewService,
  LakeCompactionService,
  MaterializationService,
  MonitorService,
  OnlineServingService,
  OnlineWriterService,
  PushService,
  RunLineageService,
  TrainingSetReader,
  TrainingSetService,
  TrainingSetStatsService,
  TrainingSetVintageService,
  type FeatureStore,
} from '@app/features';
import { FEATURE_STORE, FeatureStoreLifecycle } from '../common/feature-store.provider';
import { StoreHealth } from '../health/store-health';
import { ApiMetrics } from '../metrics/api-metrics';

/**
 * The services of one opened FeatureStore as Nest providers, so that each controller injects
 * only what it uses. Global: every capability's controllers draw on it.
 */
@Module({})
export class StoreModule {
  static forStore(store: FeatureStore, metrics: ApiMetrics): DynamicModule {
    const values: Provider[] = [
      { provide: DatasetService, useValue: store.datasets },
      { provide: FeatureViewService, useValue: store.features },
      { provide: MaterializationService, useValue: store.materializer },
      { provide: OnlineServingService, useValue: store.serving },
      { provide: OnlineWriterService, useValue: store.onlineWriter },
      { provide: PushService, useValue: store.pushes },
      { provide: TrainingSetService, useValue: store.trainingSets },
      { provide: TrainingSetVintageService, useValue: store.trainingSetVintages },
      { provide: TrainingSetReader, useValue: store.trainingSetReader },
      { provide: RunLineageService, useValue: store.runs },
      { provide: AuditService, useValue: store.audit },
      { provide: DriftService, useValue: store.drift },
      { provide: MonitorService, useValue: store.monitors },
      { provide: ConsistencyService, useValue: store.consistency },
      { provide: FeatureStatsService, useValue: store.featureStats },
      { provide: TrainingSetStatsService, useValue: store.trainingSetStats },
      { provide: FeatureSeriesService, useValue: store.series },
      { provide: LineageGraphService, useValue: store.lineageGraph },
      { provide: DatasetSummaryService, useValue: store.datasetSummaries },
      { provide: LakeCompactionService, useValue: store.compaction },
      { provide: StoreHealth, useFactory: (): StoreHealth => ({ check: () => store.health() }) },
      { provide: ApiMetrics, useValue: metrics },
      // The whole store, for its lifecycle only (closing it, the lineage retry timer).
      { provide: FEATURE_STORE, useValue: store },
    ];
    return {
      module: StoreModule,
      global: true,
      providers: [...values, FeatureStoreLifecycle],
      exports: values,
    };
  }
}
