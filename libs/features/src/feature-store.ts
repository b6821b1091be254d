import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from './config/app-config';
import { DatasetService } from './datasets/dataset.service';
import { DuckDbClient } from './duckdb/duckdb.client';
import { BatchIngestor } from './ingest/batch-ingestor';
import { IngestService } from './ingest/ingest.service';
import { LakeRepository } from './lake/lake.repository';
import { LmdbRegistry } from './registry/drivers/lmdb.registry';
import type { DatasetRegistry } from './registry/registry';
import type { FeatureRegistry } from './registry/feature-registry';
import { FeatureViewService } from './definitions/feature-view.service';
import { MaterializationService } from './materialize/materialization.service';
import { OfflineStoreRepository } from './offline/offline-store.repository';
import { OnlineRefreshService } from './online-refresh/online-refresh.service';
import { TrainingSetService } from './training/training-set.service';
import { LineageRelay } from './lineage/lineage.relay';
import { MlflowLineageSink } from './lineage/mlflow.client';
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
    readonly registry: DatasetRegistry,
    readonly ingestor: BatchIngestor,
    readonly ingest: IngestService,
    readonly datasets: DatasetService,
    readonly featureRegistry: FeatureRegistry,
    readonly features: FeatureViewService,
    readonly online: OnlineStoreDriver,
    readonly materializer: MaterializationService,
    readonly trainingSets: TrainingSetService,
    readonly lineageRelay: LineageRelay | null,
    readonly serving: OnlineServingService,
    readonly onlineWriter: OnlineWriterService,
    readonly pushes: PushService,
    readonly offlineStore: OfflineStoreRepository,
    readonly onlineRefresh: OnlineRefreshService,
  ) {}

  /** Opens the stores under config.dataDir and finishes any commit a crashed process left behind. */
  static async open(config: AppConfig, clock: Clock = systemClock): Promise<FeatureStore> {
    const db = await DuckDbClient.open({ ...config.duckdb, tempDirectory: join(config.dataDir, 'tmp', 'duckdb') });
    const lake = new LakeRepository(config.dataDir);
    const registry = LmdbRegistry.open(join(config.dataDir, 'registry'));
    await lake.recover(registry);
    const ingestor = new BatchIngestor(db, lake, registry, clock);
    const datasets = new DatasetService(db, lake, registry, ingestor, join(config.dataDir, 'tmp'));
    const features = new FeatureViewService(db, lake, datasets, registry.features, clock);
    const online: OnlineStoreDriver =
      config.online.store === 'lmdb' ? LmdbOnlineStore.open(join(config.dataDir, 'online')) : await RedisOnlineStore.connect(config.online.store, { commandTimeoutMs: config.online.timeoutMs });
    const offlineStore = new OfflineStoreRepository(join(config.dataDir, 'offline'));
    const onlineRefresh = new OnlineRefreshService(lake, datasets, features, registry.features, online, config.duckdb);
    const materializer = new MaterializationService(lake, datasets, features, registry.features, offlineStore, online, onlineRefresh, clock, config.duckdb);
    const relay = config.lineage.mlflowTrackingUri
      ? new LineageRelay(registry.features, new MlflowLineageSink(config.lineage.mlflowTrackingUri), clock, config.lineage.publicBaseUrl)
      : null;
    const trainingSets = new TrainingSetService(db, datasets, features, materializer, registry.features, clock, join(config.dataDir, 'training-sets'), join(config.dataDir, 'tmp'), relay);
    const serving = new OnlineServingService(features, registry.features, online, clock, config.online.maxKeys);
    const onlineWriter = new OnlineWriterService(registry.features, online, clock);
    const pushes = new PushService(registry.features, registry, datasets, onlineWriter, materializer);
    return new FeatureStore(config, clock, db, lake, registry, ingestor, new IngestService(ingestor), datasets, registry.features, features, online, materializer, trainingSets, relay, serving, onlineWriter, pushes, offlineStore, onlineRefresh);
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
    await check('registry', () => this.registry.getMeta('health'));
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
