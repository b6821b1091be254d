import type { RootDatabase } from 'lmdb';
import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition } from '../../definitions/feature-definition';
import type { ApplyViewResult, DefinitionRepository, ServiceVersionRecord, ViewRecord, ViewVersionRecord } from '../definition.repository';
import { padded, rangeValues } from './lmdb-keys';

const GENERATION = 'meta/definitions-generation';
const pad = (version: number) => padded(version, 8);

/** DefinitionRepository in the registry's LMDB environment. */
export class LmdbDefinitionRepository implements DefinitionRepository {
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
    return rangeValues<EntityDefinition>(this.db, 'entity/');
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
    return rangeValues<ViewRecord>(this.db, 'view/');
  }

  async getViewVersion(name: string, version: number): Promise<ViewVersionRecord | undefined> {
    return this.db.get(`view-version/${name}/${pad(version)}`) as ViewVersionRecord | undefined;
  }

  async listViewVersions(name: string): Promise<ViewVersionRecord[]> {
    return rangeValues<ViewVersionRecord>(this.db, `view-version/${name}/`);
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

  // Inside the caller's write transaction, so a cache never sees a new definition under an old generation.
  private bumpGeneration(): void {
    this.db.putSync(GENERATION, ((this.db.get(GENERATION) as number | undefined) ?? 0) + 1);
  }
}
