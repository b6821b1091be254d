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

/**
 * Entities, versioned feature views and versioned feature services, with a generation counter
 * that tells caches of resolved references when to drop their entries.
 *
 * Atomic (one transaction each, safe against other processes): `putEntity` (the entity and the
 * generation), `applyView` (the digest lookup, the new version, its digest index, the view
 * record and the generation), `applyService` (likewise for a service). So two processes applying
 * the same definition at once get one version.
 */
export interface DefinitionRepository {
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
  /** The given version of a service, or its latest without one. */
  getService(name: string, version?: number): Promise<ServiceVersionRecord | undefined>;
  /** Grows whenever an entity, a view version or a service version is recorded (by any process). */
  definitionsGeneration(): Promise<number>;
}
