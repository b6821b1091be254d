import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import type {
  AuditRepository,
  DatasetRepository,
  DefinitionRepository,
  JobRepository,
  MaterializationRepository,
  MetaRepository,
  MonitorRepository,
  Registry,
  RunRepository,
  StreamCheckpointRepository,
  TrainingSetManifestRepository,
} from '../registry';
import { aggregateOfKey, type RegistryDump, type RegistryRecord } from '../registry-dump';
import { LmdbAuditRepository } from './lmdb-audit.repository';
import { LmdbDatasetRepository } from './lmdb-dataset.repository';
import { LmdbDefinitionRepository } from './lmdb-definition.repository';
import { LmdbJobRepository } from './lmdb-job.repository';
import { LmdbMaterializationRepository } from './lmdb-materialization.repository';
import { LmdbMetaRepository } from './lmdb-meta.repository';
import { LmdbMonitorRepository } from './lmdb-monitor.repository';
import { LmdbRunRepository } from './lmdb-run.repository';
import { LmdbStreamCheckpointRepository } from './lmdb-stream-checkpoint.repository';
import { LmdbTrainingSetManifestRepository } from './lmdb-training-set-manifest.repository';

/**
 * The registry in one LMDB environment under DATA_DIR/registry, each aggregate under its own key
 * prefixes. LMDB serialises writers across processes and gives readers consistent snapshots, so
 * the API and the ingest worker can share it; a repository's multi-record calls run in one
 * write transaction.
 */
export class LmdbRegistry implements Registry, RegistryDump {
  readonly datasets: DatasetRepository;
  readonly definitions: DefinitionRepository;
  readonly materializations: MaterializationRepository;
  readonly trainingSets: TrainingSetManifestRepository;
  readonly runs: RunRepository;
  readonly jobs: JobRepository;
  readonly streams: StreamCheckpointRepository;
  readonly meta: MetaRepository;
  readonly audit: AuditRepository;
  readonly monitors: MonitorRepository;

  private constructor(private readonly db: RootDatabase) {
    this.datasets = new LmdbDatasetRepository(db);
    this.definitions = new LmdbDefinitionRepository(db);
    this.materializations = new LmdbMaterializationRepository(db);
    this.trainingSets = new LmdbTrainingSetManifestRepository(db);
    this.runs = new LmdbRunRepository(db);
    this.jobs = new LmdbJobRepository(db);
    this.streams = new LmdbStreamCheckpointRepository(db);
    this.meta = new LmdbMetaRepository(db);
    this.audit = new LmdbAuditRepository(db);
    this.monitors = new LmdbMonitorRepository(db);
  }

  /** Opens (or creates) the environment at `path`. */
  static open(path: string): LmdbRegistry {
    mkdirSync(path, { recursive: true });
    return new LmdbRegistry(open({ path, compression: false, noSubdir: false }));
  }

  async *dump(): AsyncIterable<RegistryRecord> {
    // One read snapshot, grouped by aggregate as the PostgreSQL driver's tables are.
    const byAggregate = new Map<string, RegistryRecord[]>();
    for (const { key, value } of this.db.getRange({})) {
      const aggregate = typeof key === 'string' ? aggregateOfKey(key) : undefined;
      if (aggregate === undefined) throw new Error(`registry key ${JSON.stringify(key)} belongs to no aggregate; the export would lose it`);
      const list = byAggregate.get(aggregate) ?? [];
      list.push({ aggregate, key: key as string, value });
      byAggregate.set(aggregate, list);
    }
    for (const records of byAggregate.values()) yield* records;
  }

  async load(records: AsyncIterable<RegistryRecord> | Iterable<RegistryRecord>): Promise<number> {
    const all: RegistryRecord[] = [];
    for await (const record of records) all.push(record);
    // One write transaction: a failed import leaves the registry as it was.
    return this.db.transactionSync(() => {
      for (const record of all) this.db.putSync(record.key, record.value);
      return all.length;
    });
  }

  async isEmpty(): Promise<boolean> {
    return this.db.getKeysCount({ limit: 1 }) === 0;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
