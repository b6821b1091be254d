import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AppConfig } from './config/app-config';
import { DatasetService } from './datasets/dataset.service';
import { DuckDbClient } from './duckdb/duckdb.client';
import { BatchIngestor } from './ingest/batch-ingestor';
import { IngestService } from './ingest/ingest.service';
import type { LakeFileSystem } from './lake/lake.file-system';
import { LakeRepository } from './lake/lake.repository';
import { LmdbRegistry } from './registry/drivers/lmdb.registry';
import type { FeatureRegistry } from './registry/feature-registry';
import { withTransitionalViews, type TransitionalRegistry } from './registry/transitional-registry';
import { FeatureViewService } from './definitions/feature-view.service';
import { MaterializationService, REVISION_PREFIX } from './materialize/materialization.service';
import { TrainingSetService } from './training/training-set.service';
import { TrainingSetReader } from './training/training-set.reader';
import { EntityFrameLoader } from './training/entity-frame.loader';
import type { OfflineVersionReader } from './training/offline-version.reader';
import { LineageRelay } from './lineage/lineage.relay';
import { MlflowLineageSink } from './lineage/mlflow.client';
import { RunLineageService } from './lineage/run-lineage.service';
import { LmdbOnlineStore } from './online/drivers/lmdb.online-store';
import { RedisOnlineStore } from './online/drivers/redis.online-store';
import type { OnlineStoreDriver } from './online/online-store.driver';
import { OnlineServingService } from './online/online-serving.service';
import { OnlineWriterService } from './online/online-writer.service';
import { PushService } from './online/push.service';
import { systemClock, type Clock } from './util/clock';

/**
 * The feature store's parts, wired once per process from the configuration: DuckDB engine, lake,
 * registry, ingestion, datasets. Both apps and the tests open it the same way.
 */
export class FeatureStore {
  private constructor(
    readonly config: AppConfig,
    readonly clock: Clock,
    readonly db: DuckDbClient,
    readonly lake: LakeRepository,
    readonly registry: TransitionalRegistry,
    readonly ingestor: BatchIngestor,
    readonly ingest: IngestService,
    readonly datasets: DatasetService,
    // transitional: callers move to the aggregates (store.registry.definitions, …)
    readonly featureRegistry: FeatureRegistry,
    readonly features: FeatureViewService,
    readonly online: OnlineStoreDriver,
    readonly materializer: MaterializationService,
    readonly trainingSets: TrainingSetService,
    readonly trainingSetReader: TrainingSetReader,
    readonly runs: RunLineageService,
    readonly lineageRelay: LineageRelay | null,
    readonly serving: OnlineServingService,
    readonly onlineWriter: OnlineWriterService,
    readonly pushes: PushService,
  ) {}

  /**
   * Opens the stores under config.dataDir and finishes any commit a crashed process left behind.
   * `drivers` replaces the lake's file system (a test injects faults through it).
   */
  static async open(config: AppConfig, clock: Clock = systemClock, drivers: { readonly lakeFileSystem?: LakeFileSystem } = {}): Promise<FeatureStore> {
    const db = await DuckDbClient.open({ ...config.duckdb, tempDirectory: join(config.dataDir, 'tmp', 'duckdb') });
    const lake = new LakeRepository(config.dataDir, drivers.lakeFileSystem);
    const registry = withTransitionalViews(LmdbRegistry.open(join(config.dataDir, 'registry')));
    await lake.recover(registry.datasets);
    const ingestor = new BatchIngestor(db, lake, registry.datasets, clock);
    const datasets = new DatasetService(db, lake, registry.datasets, ingestor, join(config.dataDir, 'tmp'));
    const features = new FeatureViewService(db, lake, datasets, registry.definitions, registry.materializations, clock);
    const online: OnlineStoreDriver =
      config.online.store === 'lmdb' ? LmdbOnlineStore.open(join(config.dataDir, 'online')) : await RedisOnlineStore.connect(config.online.store, { commandTimeoutMs: config.online.timeoutMs });
    const materializer = new MaterializationService(lake, datasets, features, registry.definitions, registry.materializations, registry.jobs, online, clock, join(config.dataDir, 'offline'), config.duckdb);
    const relay = config.lineage.mlflowTrackingUri
      ? new LineageRelay(registry.runs, registry.trainingSets, new MlflowLineageSink(config.lineage.mlflowTrackingUri), clock, config.lineage.publicBaseUrl)
      : null;
    // Until the offline store has its own repository: the materializer's files, and revision files told by name.
    const offlineVersions: OfflineVersionReader = {
      async files(view, version) {
        const files = await materializer.offlineFiles(view, version);
        return { files, hasRevisions: files.some((f) => basename(f).startsWith(REVISION_PREFIX)) };
      },
    };
    const runs = new RunLineageService(registry.runs, registry.trainingSets, features, clock, relay);
    const tmpDir = join(config.dataDir, 'tmp');
    const trainingSets = new TrainingSetService(db, features, materializer, offlineVersions, new EntityFrameLoader(datasets, tmpDir), registry.trainingSets, registry.materializations, runs, clock, join(config.dataDir, 'training-sets'));
    const trainingSetReader = new TrainingSetReader(db, tmpDir);
    const serving = new OnlineServingService(features, registry.definitions, online, clock, config.online.maxKeys);
    const onlineWriter = new OnlineWriterService(registry.definitions, online, clock);
    const pushes = new PushService(registry.definitions, registry.datasets, datasets, onlineWriter, materializer);
    return new FeatureStore(config, clock, db, lake, registry, ingestor, new IngestService(ingestor), datasets, registry.features, features, online, materializer, trainingSets, trainingSetReader, runs, relay, serving, onlineWriter, pushes);
  }

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
    await this.online.close();
    await this.registry.close();
    this.db.close();
  }
}
