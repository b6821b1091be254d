import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition } from '../definitions/feature-definition';

export interface ViewMetadata {
  readonly description: string;
  readonly owner: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One immutable version of a feature view. */
export interface ViewVersionRecord {
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly definition: FeatureViewDefinition;
  readonly createdAt: string;
}

export interface ViewRecord {
  readonly name: string;
  readonly latest: number;
  readonly metadata: ViewMetadata;
  readonly updatedAt: string;
}

export interface ApplyViewResult {
  readonly version: ViewVersionRecord;
  readonly created: boolean;
  readonly metadataChanged: boolean;
}

export interface ServiceVersionRecord {
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly definition: FeatureServiceDefinition;
  readonly createdAt: string;
}

/** Materialised range of one view version. */
export interface MaterializationState {
  readonly start: string;
  readonly end: string;
  readonly rows: number;
  readonly updatedAt: string;
  /** The source's highest batch seq accounted for: later batches may revise the range. */
  readonly sourceSeq?: number;
  /** Rows written by revisions (late or corrected bars): when > 0, a (key, event time) may have several rows. */
  readonly revisedRows?: number;
  /** Keys with rows (the most any run saw; a hint for planning training-set joins). */
  readonly keys?: number;
}

export interface LeaseOwner {
  readonly pid: number;
  readonly instance: string;
  readonly since: string;
}

export interface TrainingSetManifest {
  readonly id: string;
  readonly digest: string;
  readonly entityDigest: string;
  readonly rowCount: number;
  readonly createdAt: string;
  readonly pointInTime: 'event' | 'knowledge';
  readonly timestampColumn: string;
  readonly features: ReadonlyArray<{ readonly view: string; readonly version: number; readonly feature: string }>;
  readonly columns: readonly string[];
  readonly file: string;
}

export interface RunLink {
  readonly runId: string;
  readonly trainingSetId: string;
  readonly system: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly linkedAt: string;
}

export interface OutboxEntry {
  readonly sink: string;
  readonly runId: string;
  readonly trainingSetId: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly nextAttemptAt: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobRecord {
  readonly jobId: string;
  readonly kind: 'materialize';
  readonly view: string;
  readonly version: number;
  readonly status: JobStatus;
  readonly rows: number;
  readonly start: string | null;
  readonly end: string | null;
  readonly error?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The registry's feature side: entities, versioned views and services, materialisation state and
 * jobs. Version allocation is atomic across processes.
 */
export interface FeatureRegistry {
  putEntity(entity: EntityDefinition): Promise<{ created: boolean }>;
  getEntity(name: string): Promise<EntityDefinition | undefined>;
  listEntities(): Promise<EntityDefinition[]>;
  /** Returns the version with this digest if there is one (updating metadata), else records the next version. */
  applyView(definition: FeatureViewDefinition, digest: string, now: Date): Promise<ApplyViewResult>;
  getView(name: string): Promise<ViewRecord | undefined>;
  listViews(): Promise<ViewRecord[]>;
  getViewVersion(name: string, version: number): Promise<ViewVersionRecord | undefined>;
  listViewVersions(name: string): Promise<ViewVersionRecord[]>;
  applyService(definition: FeatureServiceDefinition, digest: string, now: Date): Promise<{ version: ServiceVersionRecord; created: boolean }>;
  getService(name: string, version?: number): Promise<ServiceVersionRecord | undefined>;
  /**
   * A counter that grows whenever an entity, a view version or a service version is recorded
   * (by any process), so caches of resolved references know when to drop their entries.
   */
  definitionsGeneration(): Promise<number>;
  getMaterialization(name: string, version: number): Promise<MaterializationState | undefined>;
  setMaterialization(name: string, version: number, state: MaterializationState): Promise<void>;
  /**
   * Takes a named lease for `owner` unless another live owner holds it; returns the holder when
   * refused. `isAlive` decides whether a recorded holder still runs (e.g. its pid exists).
   */
  acquireLease(name: string, owner: LeaseOwner, isAlive: (holder: LeaseOwner) => boolean): Promise<LeaseOwner | null>;
  releaseLease(name: string, owner: LeaseOwner): Promise<void>;
  putTrainingSet(manifest: TrainingSetManifest): Promise<void>;
  getTrainingSet(id: string): Promise<TrainingSetManifest | undefined>;
  /** Links a run to a training set (idempotent) and indexes it under every feature version the set used. */
  linkRun(link: RunLink, versions: ReadonlyArray<{ view: string; version: number }>): Promise<void>;
  runLinks(runId: string): Promise<RunLink[]>;
  runsOfVersion(view: string, version: number): Promise<RunLink[]>;
  /** Outbox of run links still to report to an external tracker (kept until delivered). */
  putOutbox(entry: OutboxEntry): Promise<void>;
  listOutbox(): Promise<OutboxEntry[]>;
  removeOutbox(entry: OutboxEntry): Promise<void>;
  putJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
}
