import type {
  AuditRepository,
  DatasetRepository,
  DefinitionRepository,
  JobRepository,
  MetaRepository,
  MonitorRepository,
  Registry,
  RunRepository,
  StreamCheckpointRepository,
  TrainingSetManifestRepository,
} from '../../registry';
import { AGGREGATES, type Aggregate, type RegistryDump, type RegistryRecord } from '../../registry-dump';
import { PgAuditRepository } from './pg-audit.repository';
import { PgDatasetRepository } from './pg-dataset.repository';
import { PgDefinitionRepository } from './pg-definition.repository';
import { GENERATION_CHANNEL, GENERATION_KEY, GenerationWatcher } from './pg-generation.watcher';
import { PgJobRepository } from './pg-job.repository';
import { PgKv, type PgTable } from './pg-kv';
import { PgMaterializationRepository } from './pg-materialization.repository';
import { PgMetaRepository } from './pg-meta.repository';
import { PgMonitorRepository } from './pg-monitor.repository';
import { PgRunRepository } from './pg-run.repository';
import { PgStreamCheckpointRepository } from './pg-stream-checkpoint.repository';
import { PgTrainingSetManifestRepository } from './pg-training-set-manifest.repository';
import { migrate } from './pg.migrations';
import { PgPool, type PgRegistryOptions } from './pg.pool';

const TABLE_OF: Readonly<Record<Aggregate, PgTable>> = {
  datasets: 'registry_datasets',
  definitions: 'registry_definitions',
  materializations: 'registry_materializations',
  trainingSets: 'registry_training_sets',
  runs: 'registry_runs',
  jobs: 'registry_jobs',
  streams: 'registry_streams',
  meta: 'registry_meta',
  audit: 'registry_audit',
  monitors: 'registry_monitors',
};

const DUMP_PAGE = 1000;

/**
 * The registry in PostgreSQL (REGISTRY_URL), shared by API replicas and workers on several
 * machines: one table per aggregate, each multi-record call one transaction, leases as advisory
 * locks held by a connection (see PgMaterializationRepository), the definitions generation pushed
 * to every replica by LISTEN/NOTIFY (see GenerationWatcher). Every call fails fast with
 * UNAVAILABLE naming the registry while PostgreSQL cannot be reached.
 */
export class PgRegistry implements Registry, RegistryDump {
  readonly datasets: DatasetRepository;
  readonly definitions: DefinitionRepository;
  readonly materializations: PgMaterializationRepository;
  readonly trainingSets: TrainingSetManifestRepository;
  readonly runs: RunRepository;
  readonly jobs: JobRepository;
  readonly streams: StreamCheckpointRepository;
  readonly meta: MetaRepository;
  readonly audit: AuditRepository;
  readonly monitors: MonitorRepository;

  private constructor(
    private readonly pool: PgPool,
    private readonly watcher: GenerationWatcher,
  ) {
    this.datasets = new PgDatasetRepository(pool);
    this.definitions = new PgDefinitionRepository(pool, watcher);
    this.materializations = new PgMaterializationRepository(pool);
    this.trainingSets = new PgTrainingSetManifestRepository(pool);
    this.runs = new PgRunRepository(pool);
    this.jobs = new PgJobRepository(pool);
    this.streams = new PgStreamCheckpointRepository(pool);
    this.meta = new PgMetaRepository(pool);
    this.audit = new PgAuditRepository(pool);
    this.monitors = new PgMonitorRepository(pool);
  }

  /**
   * Connects, migrates the schema (one process at a time; refuses a newer schema) and starts
   * listening for definition changes. Fails with UNAVAILABLE when PostgreSQL cannot be reached.
   */
  static async open(options: PgRegistryOptions): Promise<PgRegistry> {
    const pool = new PgPool(options);
    try {
      await migrate(pool);
      return new PgRegistry(pool, await GenerationWatcher.start(pool));
    } catch (error) {
      await pool.close().catch(() => undefined);
      throw error;
    }
  }

  /** Where the registry lives (host:port/database), for messages and the start-up summary. */
  get where(): string {
    return this.pool.where;
  }

  async *dump(): AsyncIterable<RegistryRecord> {
    for (const aggregate of AGGREGATES) {
      let after = '';
      for (;;) {
        const rows = await this.pool.query<{ key: string; value: unknown }>(`SELECT key, value FROM ${TABLE_OF[aggregate]} WHERE key > $1 ORDER BY key LIMIT $2`, [after, DUMP_PAGE]);
        for (const row of rows) yield { aggregate, key: row.key, value: row.value };
        if (rows.length < DUMP_PAGE) break;
        after = rows[rows.length - 1].key;
      }
    }
  }

  async load(records: AsyncIterable<RegistryRecord> | Iterable<RegistryRecord>): Promise<number> {
    // One transaction: an import that fails half-way leaves the registry as it was.
    const count = await this.pool.tx(async (q) => {
      let n = 0;
      for await (const record of records) {
        await new PgKv(TABLE_OF[record.aggregate]).put(q, record.key, record.value);
        n++;
      }
      const generation = await new PgKv('registry_definitions').get<number>(q, GENERATION_KEY);
      if (generation !== undefined) await q.query('SELECT pg_notify($1, $2)', [GENERATION_CHANNEL, String(generation)]);
      return n;
    });
    return count;
  }

  async isEmpty(): Promise<boolean> {
    const union = AGGREGATES.map((a) => `SELECT 1 FROM ${TABLE_OF[a]}`).join(' UNION ALL ');
    return (await this.pool.query(`SELECT EXISTS (${union}) AS any`))[0].any === false;
  }

  async close(): Promise<void> {
    await this.materializations.close();
    await this.watcher.close();
    await this.pool.close();
  }
}
