import type { DefinitionRepository } from './definition.repository';
import type { JobRepository } from './job.repository';
import type { MaterializationRepository } from './materialization.repository';
import type { RunRepository } from './run.repository';
import type { TrainingSetManifestRepository } from './training-set-manifest.repository';

// transitional: callers move to the aggregates (these types live in the aggregates' modules)
export type { ApplyViewResult, ServiceVersionRecord, ViewMetadata, ViewRecord, ViewVersionRecord } from './definition.repository';
export type { JobRecord, JobStatus } from './job.repository';
export type { LeaseOwner, MaterializationState } from './materialization.repository';
export type { OutboxEntry, RunLink } from './run.repository';
export type { TrainingSetManifest } from './training-set-manifest.repository';

// transitional: callers move to the aggregates
export type FeatureRegistry = DefinitionRepository & MaterializationRepository & TrainingSetManifestRepository & RunRepository & JobRepository;
