import type { DatasetService } from '../datasets/dataset.service';
import { ErrorCode, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import type { LakeRepository } from '../lake/lake.repository';
import type { DefinitionRepository, ViewMetadata, ViewVersionRecord } from '../registry/definition.repository';
import type { MaterializationRepository, MaterializationState } from '../registry/materialization.repository';
import { checkFeatureSql, checkOutputColumns, FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import type { Clock } from '../util/clock';
import { canonicalJson, sha256 } from '../util/hash';
import { countsSessions, parseTimeSpan } from '../calendar/session-span';
import { parseEntityDefinition, parseServiceDefinition, parseViewDefinition, type EntityInput, type FeatureServiceInput, type FeatureViewInput } from './definition.validation';
import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition } from './feature-definition';
import { canonicalView, viewDigest } from './feature-digest';
import { FeatureRefResolver } from './feature-ref.resolver';

export type ApplyChange = 'new-view' | 'new-version' | 'unchanged' | 'metadata';

export interface ApplyOutcome {
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly created: boolean;
  readonly change: ApplyChange;
  /** For a new version: which parts of the definition differ from the latest version. */
  readonly changed: readonly string[];
}

export interface ViewSummary extends ViewMetadata {
  readonly name: string;
  readonly version: number;
  readonly digest: string;
  readonly entity: string;
  readonly source: string;
  readonly ttl: string | null;
  readonly features: ReadonlyArray<{ name: string; type: string; description?: string }>;
  readonly createdAt: string;
}

/** Feature definitions: validate (shape, references, SQL sandbox, output), version, describe. */
export class FeatureViewService {
  private readonly changeListeners: Array<() => void> = [];
  /** Resolves feature references and services (training sets and online serving use it too). */
  readonly refs: FeatureRefResolver;

  constructor(
    private readonly db: DuckDbClient,
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetService,
    private readonly registry: DefinitionRepository,
    private readonly materializations: Pick<MaterializationRepository, 'getMaterialization'>,
    private readonly clock: Clock,
  ) {
    this.refs = new FeatureRefResolver(registry);
  }

  /** Calls `listener` after this process records a new entity, view version or service version. */
  onDefinitionsChanged(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Registers an entity (the shape is checked again: code and files call this too). */
  async applyEntity(input: EntityInput): Promise<{ name: string; created: boolean }> {
    const entity = parseEntityDefinition(input);
    const result = await this.registry.putEntity(entity);
    this.changed();
    return { name: entity.name, ...result };
  }

  async listEntities(): Promise<EntityDefinition[]> {
    return this.registry.listEntities();
  }

  /** What applying `input` would do, without recording anything. */
  async plan(input: FeatureViewInput): Promise<ApplyOutcome> {
    const view = await this.validate(input);
    return this.outcome(view, viewDigest(view));
  }

  /** Registers a view definition: a new version when its digest is new, else the existing one. */
  async apply(input: FeatureViewInput): Promise<ApplyOutcome> {
    const view = await this.validate(input);
    const digest = viewDigest(view);
    const planned = await this.outcome(view, digest);
    // An existing version is found under the digest it was recorded with (see outcome).
    const result = await this.registry.applyView(view, planned.created ? digest : planned.digest, this.clock.now());
    if (result.created) this.changed();
    return { ...planned, version: result.version.version, created: result.created, change: result.created ? planned.change : result.metadataChanged ? 'metadata' : 'unchanged' };
  }

  async list(): Promise<ViewSummary[]> {
    const views = await this.registry.listViews();
    const out: ViewSummary[] = [];
    for (const view of views) {
      const latest = await this.registry.getViewVersion(view.name, view.latest);
      if (latest) out.push(summary(latest, view.metadata));
    }
    return out;
  }

  async get(name: string): Promise<{ name: string; latest: number; metadata: ViewMetadata; versions: Array<{ version: number; digest: string; createdAt: string; materialized: MaterializationState | null }> }> {
    const view = await this.registry.getView(name);
    if (!view) throw new NotFoundError(`feature view ${name} does not exist`, { field: 'name' }, ErrorCode.UnknownFeatureView);
    const versions = await this.registry.listViewVersions(name);
    return {
      name,
      latest: view.latest,
      metadata: view.metadata,
      versions: await Promise.all(
        versions.map(async (v) => ({ version: v.version, digest: v.digest, createdAt: v.createdAt, materialized: (await this.materializations.getMaterialization(name, v.version)) ?? null })),
      ),
    };
  }

  /** One version's full definition, digest and materialisation state. */
  async getVersion(name: string, version: number): Promise<ViewVersionRecord & { metadata: ViewMetadata; materialized: MaterializationState | null }> {
    const view = await this.registry.getView(name);
    const record = view ? await this.registry.getViewVersion(name, version) : undefined;
    if (!view || !record) {
      throw new NotFoundError(`feature view ${name} has no version ${version}`, { field: view ? 'version' : 'name' }, ErrorCode.UnknownFeatureView);
    }
    return { ...record, metadata: view.metadata, materialized: (await this.materializations.getMaterialization(name, version)) ?? null };
  }

  /** Registers a feature service; every reference must name an existing view version and feature. */
  async applyService(input: FeatureServiceInput): Promise<{ name: string; version: number; created: boolean }> {
    const service = parseServiceDefinition(input);
    for (const [i, text] of service.features.entries()) await this.refs.resolveOne(text, `features[${i}]`);
    const digest = sha256(canonicalJson(service.features));
    const { version, created } = await this.registry.applyService(service, digest, this.clock.now());
    if (created) this.changed();
    return { name: service.name, version: version.version, created };
  }

  async getService(name: string): Promise<FeatureServiceDefinition & { version: number }> {
    const record = await this.registry.getService(name);
    if (!record) throw new NotFoundError(`feature service ${name} does not exist`, { field: 'name' });
    return { ...record.definition, version: record.version };
  }

  /** Resolves `view[@N]:feature` to the exact version record; 422 naming the reference otherwise. */
  resolveFeature(text: string, field: string): Promise<{ record: ViewVersionRecord; feature: string }> {
    return this.refs.resolveOne(text, field);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  private async validate(input: FeatureViewInput): Promise<FeatureViewDefinition> {
    let view = parseViewDefinition(input);
    const invalid = (field: string, message: string) => new UnprocessableError(ErrorCode.InvalidDefinition, `${field}: ${message}`, { field });
    const entity = await this.registry.getEntity(view.entity);
    if (!entity) throw new UnprocessableError(ErrorCode.UnknownEntity, `entity: unknown entity ${view.entity}`, { field: 'entity' });
    const schema = await this.datasets.schema(view.source).catch(() => {
      throw invalid('source', `dataset ${view.source} does not exist`);
    });
    // Sessions are counted in the view's calendar, else its source's: recorded in the definition
    // (and so in its digest), so a version keeps its meaning.
    const sessions = countsSessions(view.ttl) || countsSessions(view.lookback);
    const calendar = view.calendar ?? (sessions ? schema.calendar : undefined);
    for (const field of ['ttl', 'lookback'] as const) {
      const value = view[field];
      if (value !== null) {
        try {
          parseTimeSpan(value, field, calendar);
        } catch (error) {
          throw invalid(field, (error as Error).message.replace(/^\w+ /, ''));
        }
      }
    }
    if (calendar !== undefined) view = { ...view, calendar };
    const label = view.kind === 'label';
    await this.db.withSession((s) => checkFeatureSql(s, view.sql, { lookAhead: label }));
    const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(view.source)], writable: [] });
    try {
      await sandbox.defineSource(schema, await this.datasets.currentRowsSql(schema));
      const output = await sandbox.describe(view.sql);
      checkOutputColumns(output, { keys: entity.joinKeys, timestampColumn: view.timestampColumn, features: view.features, availableAt: label });
    } finally {
      sandbox.close();
    }
    return view;
  }

  private async outcome(view: FeatureViewDefinition, digest: string): Promise<ApplyOutcome> {
    const existing = await this.registry.getView(view.name);
    if (!existing) return { name: view.name, version: 1, digest, created: true, change: 'new-view', changed: [] };
    const versions = await this.registry.listViewVersions(view.name);
    // A version recorded before a part joined the digest (the lookback did) has its old digest:
    // its definition, canonicalised today, tells whether it is this one.
    const same = versions.find((v) => v.digest === digest || viewDigest(v.definition) === digest);
    if (same) {
      const metadata = JSON.stringify({ description: view.description, owner: view.owner, tags: view.tags }) !== JSON.stringify(existing.metadata);
      return { name: view.name, version: same.version, digest: same.digest, created: false, change: metadata ? 'metadata' : 'unchanged', changed: [] };
    }
    const latest = versions.find((v) => v.version === existing.latest)!;
    const before = canonicalView(latest.definition);
    const after = canonicalView(view);
    const changed = Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
    return { name: view.name, version: existing.latest + 1, digest, created: true, change: 'new-version', changed };
  }
}

function summary(v: ViewVersionRecord, metadata: ViewMetadata): ViewSummary {
  const d = v.definition;
  return { name: v.name, version: v.version, digest: v.digest, entity: d.entity, source: d.source, ttl: d.ttl, features: d.features, createdAt: v.createdAt, ...metadata };
}
