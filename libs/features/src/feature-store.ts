import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditService } from './audit/audit.service';
import type { AppConfig } from './config/app-config';
import { DatasetService } from './datasets/dataset.service';
import { FeatureViewService } from './definitions/feature-view.service';
import { DuckDbClient } from './duckdb/duckdb.client';
import { BatchIngestor } from './ingest/batch-ingestor';
import { IngestService } from './ingest/ingest.service';
import type { LakeFileSystem } from './lake/lake.file-system';
import { LakeCompactionService } from './lake/lake-compaction.service';
import { LakeRepository } from './lake/lake.repository';
import { RetentionHorizons } from './lake/retention-horizons';
import { LineageRelay } from './lineage/lineage.relay';
import { MlflowClient } from './lineage/mlflow.client';
import { MlflowLineageSink } from './lineage/mlflow-lineage.sink';
import { RunLineageService } from './lineage/run-lineage.service';
import { MaterializationService } from './materialize/materialization.service';
import { ConsistencyService } from './monitoring/consistency.service';
import { DriftService } from './monitoring/drift.service';
import { MonitorService } from './monitoring/monitor.service';
import { OfflineStoreRepository } from './offline/offline-store.repository';
import { OnlineRefreshService } from './online-refresh/online-refresh.service';
import { LmdbOnlineStore } from './online/drivers/lmdb.online-store';
import { RedisOnlineStore } from './online/drivers/redis.online-store';
import type { OnlineStoreDriver } from './online/online-store.driver';
import { OnlineServingService } from './online/online-serving.service';
import { OnlineWriterService } from './online/online-writer.service';
import { PushService } from './online/push.service';
import { openRegistry } from './registry/open-registry';
import type { Registry } from './registry/registry';
import { FeatureStatsService } from './stats/feature-stats.service';
import { TrainingSetStatsService } from './stats/training-set-stats.service';
import { EntityFrameLoader } from './training/entity-frame.loader';
import { TrainingSetReader } from './training/training-set.reader';
import { TrainingSetService } from './training/training-set.service';
import { TrainingSetVintageService } from './training/training-set-vintage.service';
import { FeatureSeriesService } from './explore/feature-series.service';
import { LineageGraphService } from './explore/lineage-graph.service';
import { DatasetSummaryService } from './explore/dataset-summary.service';
import { systemClock, type Clock } from './util/clock';

/**
 * The composition root: the feature store's parts, wired once per process from the
 * configuration. Both apps and the tests open it the same way; the API hands each controller
 * only the service it uses (apps/api/src/store/store.module.ts).
 */
export class FeatureStore {
  private constructor(
    readonly config: AppConfig,
    readonly clock: Clock,
    readonly db: DuckDbClient,
    readonly lake: LakeRepository,
    readonly registry: Registry,
    readonly ingestor: BatchIngestor,
    readonly ingest: IngestService,
    readonly datasets: DatasetService,
    readonly features: FeatureViewService,
    readonly online: OnlineStoreDriver,
    readonly offlineStore: OfflineStoreRepository,
    readonly onlineRefresh: OnlineRefreshService,
    readonly materializer: MaterializationService,
    readonly trainingSets: TrainingSetService,
    readonly trainingSetReader: TrainingSetReader,
    readonly runs: RunLineageService,
    readonly lineageRelay: LineageRelay | null,
    readonly serving: OnlineServingService,
    readonly onlineWriter: OnlineWriterService,
    readonly pushes: PushService,
    /** The audit trail of changes (API requests, CLI and stream batches). */
    readonly audit: AuditService,
    /** Profiles of training sets (stored beside each set). */
    readonly trainingSetStats: TrainingSetStatsService,
  ) {}

  /**
   * Opens the stores under config.dataDir and finishes any commit a crashed process left behind.
   * `drivers` replaces the lake's file system (a test injects faults through it).
   */
  static async open(config: AppConfig, clock: Clock = systemClock, drivers: { readonly lakeFileSystem?: LakeFileSystem } = {}): Promise<FeatureStore> {
    const tmpDir = join(config.dataDir, 'tmp');
    const db = await DuckDbClient.open({ ...config.duckdb, tempDirectory: join(tmpDir, 'duckdb') });
    const lake = new LakeRepository(config.dataDir, drivers.lakeFileSystem);
    const registry = await openRegistry(config);
    await lake.recover(registry.datasets);
    const ingestor = new BatchIngestor(db, lake, registry.datasets, clock);
    const datasets = new DatasetService(db, lake, registry.datasets, ingestor, tmpDir);
    const features = new FeatureViewService(db, lake, datasets, registry.definitions, registry.materializations, clock);
    const online: OnlineStoreDriver =
      config.online.store === 'lmdb' ? LmdbOnlineStore.open(join(config.dataDir, 'online')) : await RedisOnlineStore.connect(config.online.store, { commandTimeoutMs: config.online.timeoutMs });
    const offlineStore = new OfflineStoreRepository(join(config.dataDir, 'offline'));
    const onlineRefresh = new OnlineRefreshService(lake, datasets, features, registry, online, config.duckdb);
    const materializer = new MaterializationService(lake, datasets, features, registry, offlineStore, online, clock, config.duckdb);
    const trainingSetReader = new TrainingSetReader(db, tmpDir);
    const trainingSetStats = new TrainingSetStatsService(db, registry.trainingSets);
    const relay = config.lineage.mlflowTrackingUri
      ? new LineageRelay(registry.runs, registry.trainingSets, trainingSetStats.withProfiles(trainingSetReader), new MlflowLineageSink(new MlflowClient(config.lineage.mlflowTrackingUri)), clock, config.lineage.publicBaseUrl)
      : null;
    const runs = new RunLineageService(registry.runs, registry.trainingSets, features, clock, relay);
    const trainingSets = new TrainingSetService(db, features, materializer, offlineStore, new EntityFrameLoader(datasets, tmpDir), registry.trainingSets, registry.materializations, runs, clock, join(config.dataDir, 'training-sets'), new RetentionHorizons(lake));
    trainingSets.onCreated((manifest) => trainingSetStats.record(manifest));
    const serving = new OnlineServingService(features, registry.definitions, online, clock, config.online.maxKeys);
    const onlineWriter = new OnlineWriterService(registry.definitions, online, clock);
    const pushes = new PushService(registry.definitions, registry.datasets, datasets, onlineWriter, onlineRefresh);
    const store = new FeatureStore(
      config, clock, db, lake, registry, ingestor, new IngestService(ingestor), datasets, features, online, offlineStore, onlineRefresh, materializer,
      trainingSets, trainingSetReader, runs, relay, serving, onlineWriter, pushes, new AuditService(registry.audit, clock), trainingSetStats,
    );
    await store.compaction.recoverAll();
    void store.monitors; // hooks monitor evaluation into every materialisation, in every process
    return store;
  }

  /** Statistics of view versions (kept per offline file by every materialisation). */
  get featureStats(): FeatureStatsService {
    return (this.viewStats ??= new FeatureStatsService(this.db, this.features, this.offlineStore));
  }
  private viewStats?: FeatureStatsService;

  /** Re-creation and diffs of stored training sets (vintages). */
  get trainingSetVintages(): TrainingSetVintageService {
    return (this.vintages ??= new TrainingSetVintageService(this.db, this.trainingSets, this.tmpDir));
  }
  private vintages?: TrainingSetVintageService;

  /** Compaction of the lake's partitions (the CLI, the background compactor). */
  get compaction(): LakeCompactionService {
    return (this.lakeCompaction ??= new LakeCompactionService(this.db, this.lake, this.registry.datasets, this.registry.materializations, this.clock, this.config.lake));
  }
  private lakeCompaction?: LakeCompactionService;

  /** Drift of view versions against reference training sets (GET …/drift). */
  get drift(): DriftService {
    return (this.driftService ??= new DriftService(this.db, this.features, this.registry.definitions, this.registry.trainingSets, this.offlineStore));
  }
  private driftService?: DriftService;

  /** Drift monitors, evaluated after each materialisation of their view version. */
  get monitors(): MonitorService {
    if (!this.monitorService) {
      const monitors = new MonitorService(this.registry.monitors, this.drift, this.clock);
      this.materializer.onMaterialized((r) => void monitors.versionChanged(r.view, r.version));
      this.monitorService = monitors;
    }
    return this.monitorService;
  }
  private monitorService?: MonitorService;

  /** Online/offline consistency checks (GET …/consistency). */
  get consistency(): ConsistencyService {
    return (this.consistencyService ??= new ConsistencyService(this.db, this.features, this.registry.definitions, this.offlineStore, this.online));
  }
  private consistencyService?: ConsistencyService;
  /** One key's feature values over time from the offline store (the catalog UI's plots). */
  get series(): FeatureSeriesService {
    return (this.seriesReader ??= new FeatureSeriesService(this.db, this.features, this.offlineStore));
  }
  private seriesReader?: FeatureSeriesService;

  /** The lineage graph (datasets, view versions, training sets, runs) from the registry. */
  get lineageGraph(): LineageGraphService {
    const r = this.registry;
    return (this.lineage ??= new LineageGraphService({ datasets: r.datasets, definitions: r.definitions, materializations: r.materializations, trainingSets: r.trainingSets, runs: r.runs }, this.config.lineage.mlflowUiUrl));
  }
  private lineage?: LineageGraphService;

  /** Per-key ranges and gaps, batches and quarantined rows of a dataset (the catalog UI's dataset page). */
  get datasetSummaries(): DatasetSummaryService {
    return (this.summaries ??= new DatasetSummaryService(this.db, this.datasets, this.registry.datasets));
  }
  private summaries?: DatasetSummaryService;

  /** Directory for spooled request bodies and HTTP responses. */
  get tmpDir(): string {
    return join(this.config.dataDir, 'tmp');
  }

  /** Health of each store: the registry answers, DuckDB answers, the lake folder is writable. */
  async health(): Promise<{ status: string; stores: Record<string, string> }> {
    const stores: Record<string, string> = {};
    const check = async (name: string, probe: () => Promise<unknown>) => {
      try {
        await probe();
        stores[name] = 'ok';
      } catch (error) {
        stores[name] = `error: ${(error as Error).message}`;
      }
    };
    await check('registry', () => this.registry.meta.getMeta('health'));
    await check('duckdb', () => this.db.withSession((s) => s.one('SELECT 1 AS ok')));
    await check('lake', () => access(this.config.dataDir, constants.W_OK));
    await check(`online:${this.online.name}`, () => this.online.ping());
    return { status: Object.values(stores).every((v) => v === 'ok') ? 'ok' : 'degraded', stores };
  }

  async close(): Promise<void> {
    // An evaluation queued by the last materialisation still reads DuckDB and writes the registry.
    await this.monitorService?.idle();
    await this.online.close();
    await this.registry.close();
    this.db.close();
  }
}
