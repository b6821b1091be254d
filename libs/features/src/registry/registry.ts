import type { AuditRepository } from './audit.repository';
import type { DatasetRepository } from './dataset.repository';
import type { DefinitionRepository } from './definition.repository';
import type { JobRepository } from './job.repository';
import type { MaterializationRepository } from './materialization.repository';
import type { MetaRepository } from './meta.repository';
import type { MonitorRepository } from './monitor.repository';
import type { RunRepository } from './run.repository';
import type { StreamCheckpointRepository } from './stream-checkpoint.repository';
import type { TrainingSetManifestRepository } from './training-set-manifest.repository';

export * from './audit.repository';
export * from './dataset.repository';
export * from './definition.repository';
export * from './job.repository';
export * from './materialization.repository';
export * from './meta.repository';
export * from './monitor.repository';
export * from './run.repository';
export * from './stream-checkpoint.repository';
export * from './training-set-manifest.repository';

/**
 * The registry: one repository per aggregate, each a consistency boundary of its own (no call
 * changes records of two aggregates, so each can live in its own tables). The embedded driver
 * keeps them all in one LMDB environment, shared safely by the API and the ingest worker; a
 * PostgreSQL driver would implement the same interfaces (every call is async, and each
 * repository documents which calls must run as one transaction).
 */
export interface Registry {
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
  close(): Promise<void>;
}

