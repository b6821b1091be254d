import type { RootDatabase } from 'lmdb';
import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition } from '../../definitions/feature-definition';
import type {
  ApplyViewResult,
  FeatureRegistry,
  JobRecord,
  LeaseOwner,
  OutboxEntry,
  RunLink,
  TrainingSetManifest,
  MaterializationState,
  ServiceVersionRecord,
  ViewRecord,
  ViewVersionRecord,
} from '../feature-registry';

const GENERATION = 'meta/definitions-generation';
const pad = (version: number) => String(version).padStart(8, '0');

/** FeatureRegistry on the same LMDB environment as the dataset registry. */
export class LmdbFeatureRegistry implements FeatureRegistry {
  constructor(private readonly db: RootDatabase) {}

  async putEntity(entity: EntityDefinition): Promise<{ created: boolean }> {
    return this.db.transactionSync(() => {
      const key = `entity/${entity.name}`;
      const existing = this.db.get(key) as EntityDefinition | undefined;
      if (existing && JSON.stringify(existing) === JSON.stringify(entity)) return { created: false };
      this.db.putSync(key, entity);
      this.bumpGeneration();
      return { created: !existing };
    });
  }

  async getEntity(name: string): Promise<EntityDefinition | undefined> {
    return this.db.get(`entity/${name}`) as EntityDefinition | undefined;
  }

  async listEntities(): Promise<EntityDefinition[]> {
    return this.range('entity/') as EntityDefinition[];
  }

  async applyView(definition: FeatureViewDefinition, digest: string, now: Date): Promise<ApplyViewResult> {
    const name = definition.name;
    return this.db.transactionSync(() => {
      const view = this.db.get(`view/${name}`) as ViewRecord | undefined;
      const metadata = { description: definition.description, owner: definition.owner, tags: definition.tags };
      const metadataChanged = !!view && JSON.stringify(view.metadata) !== JSON.stringify(metadata);
      const known = this.db.get(`view-digest/${name}/${digest}`) as number | undefined;
      if (known !== undefined && view) {
        if (metadataChanged) this.db.putSync(`view/${name}`, { ...view, metadata, updatedAt: now.toISOString() } satisfies ViewRecord);
        // `stream` (keep online values fresh from the stream) does not change values: it is
        // switched on the existing version, not made into a new one.
        const record = this.db.get(`view-version/${name}/${pad(known)}`) as ViewVersionRecord;
        if (record.definition.stream !== definition.stream) {
          const updated: ViewVersionRecord = { ...record, definition: { ...record.definition, stream: definition.stream } };
          this.db.putSync(`view-version/${name}/${pad(known)}`, updated);
          return { version: updated, created: false, metadataChanged: true };
        }
        return { version: record, created: false, metadataChanged };
      }
      const version = (view?.latest ?? 0) + 1;
      const record: ViewVersionRecord = { name, version, digest, definition, createdAt: now.toISOString() };
      this.db.putSync(`view-version/${name}/${pad(version)}`, record);
      this.db.putSync(`view-digest/${name}/${digest}`, version);
      this.db.putSync(`view/${name}`, { name, latest: version, metadata, updatedAt: now.toISOString() } satisfies ViewRecord);
      this.bumpGeneration();
      return { version: record, created: true, metadataChanged };
    });
  }

  async getView(name: string): Promise<ViewRecord | undefined> {
    return this.db.get(`view/${name}`) as ViewRecord | undefined;
  }

  async listViews(): Promise<ViewRecord[]> {
    return this.range('view/') as ViewRecord[];
  }

  async getViewVersion(name: string, version: number): Promise<ViewVersionRecord | undefined> {
    return this.db.get(`view-version/${name}/${pad(version)}`) as ViewVersionRecord | undefined;
  }

  async listViewVersions(name: string): Promise<ViewVersionRecord[]> {
    return this.range(`view-version/${name}/`) as ViewVersionRecord[];
  }

  async applyService(definition: FeatureServiceDefinition, digest: string, now: Date): Promise<{ version: ServiceVersionRecord; created: boolean }> {
    const name = definition.name;
    return this.db.transactionSync(() => {
      const latest = this.db.get(`service/${name}`) as number | undefined;
      const known = this.db.get(`service-digest/${name}/${digest}`) as number | undefined;
      if (known !== undefined) return { version: this.db.get(`service-version/${name}/${pad(known)}`) as ServiceVersionRecord, created: false };
      const version = (latest ?? 0) + 1;
      const record: ServiceVersionRecord = { name, version, digest, definition, createdAt: now.toISOString() };
      this.db.putSync(`service-version/${name}/${pad(version)}`, record);
      this.db.putSync(`service-digest/${name}/${digest}`, version);
      this.db.putSync(`service/${name}`, version);
      this.bumpGeneration();
      return { version: record, created: true };
    });
  }

  async getService(name: string, version?: number): Promise<ServiceVersionRecord | undefined> {
    const v = version ?? (this.db.get(`service/${name}`) as number | undefined);
    return v === undefined ? undefined : (this.db.get(`service-version/${name}/${pad(v)}`) as ServiceVersionRecord | undefined);
  }

  async definitionsGeneration(): Promise<number> {
    return (this.db.get(GENERATION) as number | undefined) ?? 0;
  }

  // Inside the caller's write transaction.
  private bumpGeneration(): void {
    this.db.putSync(GENERATION, ((this.db.get(GENERATION) as number | undefined) ?? 0) + 1);
  }

  async getMaterialization(name: string, version: number): Promise<MaterializationState | undefined> {
    return this.db.get(`materialized/${name}/${pad(version)}`) as MaterializationState | undefined;
  }

  async setMaterialization(name: string, version: number, state: MaterializationState): Promise<void> {
    await this.db.put(`materialized/${name}/${pad(version)}`, state);
  }

  async acquireLease(name: string, owner: LeaseOwner, isAlive: (holder: LeaseOwner) => boolean): Promise<LeaseOwner | null> {
    return this.db.transactionSync(() => {
      const holder = this.db.get(`lease/${name}`) as LeaseOwner | undefined;
      if (holder && holder.instance !== owner.instance && isAlive(holder)) return holder;
      this.db.putSync(`lease/${name}`, owner);
      return null;
    });
  }

  async releaseLease(name: string, owner: LeaseOwner): Promise<void> {
    await this.db.transaction(() => {
      const holder = this.db.get(`lease/${name}`) as LeaseOwner | undefined;
      if (holder?.instance === owner.instance) this.db.removeSync(`lease/${name}`);
    });
  }

  async putTrainingSet(manifest: TrainingSetManifest): Promise<void> {
    await this.db.put(`training-set/${manifest.id}`, manifest);
  }

  async getTrainingSet(id: string): Promise<TrainingSetManifest | undefined> {
    return this.db.get(`training-set/${id}`) as TrainingSetManifest | undefined;
  }

  async linkRun(link: RunLink, versions: ReadonlyArray<{ view: string; version: number }>): Promise<void> {
    await this.db.transaction(() => {
      const key = `run/${link.runId}/${link.trainingSetId}`;
      if (this.db.get(key)) return; // linking twice keeps the first link time
      this.db.putSync(key, link);
      for (const v of versions) this.db.putSync(`version-run/${v.view}/${pad(v.version)}/${link.runId}/${link.trainingSetId}`, link);
    });
  }

  async runLinks(runId: string): Promise<RunLink[]> {
    return this.range(`run/${runId}/`) as RunLink[];
  }

  async runsOfVersion(view: string, version: number): Promise<RunLink[]> {
    return this.range(`version-run/${view}/${pad(version)}/`) as RunLink[];
  }

  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.db.put(`outbox/${entry.sink}/${entry.runId}/${entry.trainingSetId}`, entry);
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return this.range('outbox/') as OutboxEntry[];
  }

  async removeOutbox(entry: OutboxEntry): Promise<void> {
    await this.db.remove(`outbox/${entry.sink}/${entry.runId}/${entry.trainingSetId}`);
  }

  async putJob(job: JobRecord): Promise<void> {
    await this.db.put(`job/${job.jobId}`, job);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.db.get(`job/${jobId}`) as JobRecord | undefined;
  }

  private range(prefix: string): unknown[] {
    return [...this.db.getRange({ start: prefix, end: `${prefix}\uffff` })].map((e) => e.value);
  }
}
