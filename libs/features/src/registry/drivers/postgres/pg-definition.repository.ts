import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition } from '../../../definitions/feature-definition';
import type { ApplyViewResult, DefinitionRepository, ServiceVersionRecord, ViewRecord, ViewVersionRecord } from '../../definition.repository';
import { padded } from '../lmdb-keys';
import { GENERATION_CHANNEL, GENERATION_KEY, type GenerationWatcher } from './pg-generation.watcher';
import { PgKv } from './pg-kv';
import { lockName, type PgPool, type PgQueryable } from './pg.pool';

const pad = (version: number) => padded(version, 8);

/**
 * DefinitionRepository in PostgreSQL (registry_definitions). Each apply runs in one transaction
 * under an advisory lock on the view's (service's, entity's) name, so two replicas applying the
 * same definition at once get one version; the generation is bumped and notified in the same
 * transaction, so no replica sees a new definition under an old generation.
 */
export class PgDefinitionRepository implements DefinitionRepository {
  private readonly kv = new PgKv('registry_definitions');

  constructor(
    private readonly pool: PgPool,
    private readonly watcher: GenerationWatcher,
  ) {}

  async putEntity(entity: EntityDefinition): Promise<{ created: boolean }> {
    const key = `entity/${entity.name}`;
    return this.changing<{ created: boolean }>(async (q) => {
      await lockName(q, key);
      const existing = await this.kv.get<EntityDefinition>(q, key);
      if (existing && JSON.stringify(existing) === JSON.stringify(entity)) return { result: { created: false }, bumped: false };
      await this.kv.put(q, key, entity);
      return { result: { created: !existing }, bumped: true };
    });
  }

  async getEntity(name: string): Promise<EntityDefinition | undefined> {
    return this.kv.get<EntityDefinition>(this.pool, `entity/${name}`);
  }

  async listEntities(): Promise<EntityDefinition[]> {
    return this.kv.rangeValues<EntityDefinition>(this.pool, 'entity/');
  }

  async applyView(definition: FeatureViewDefinition, digest: string, now: Date): Promise<ApplyViewResult> {
    const name = definition.name;
    return this.changing<ApplyViewResult>(async (q) => {
      await lockName(q, `view/${name}`);
      const view = await this.kv.get<ViewRecord>(q, `view/${name}`);
      const metadata = { description: definition.description, owner: definition.owner, tags: definition.tags };
      const metadataChanged = !!view && JSON.stringify(view.metadata) !== JSON.stringify(metadata);
      const known = await this.kv.get<number>(q, `view-digest/${name}/${digest}`);
      if (known !== undefined && view) {
        if (metadataChanged) await this.kv.put(q, `view/${name}`, { ...view, metadata, updatedAt: now.toISOString() } satisfies ViewRecord);
        // `stream` does not change values: it is switched on the existing version (as the LMDB driver does).
        const record = (await this.kv.get<ViewVersionRecord>(q, `view-version/${name}/${pad(known)}`))!;
        if (record.definition.stream !== definition.stream) {
          const updated: ViewVersionRecord = { ...record, definition: { ...record.definition, stream: definition.stream } };
          await this.kv.put(q, `view-version/${name}/${pad(known)}`, updated);
          return { result: { version: updated, created: false, metadataChanged: true }, bumped: false };
        }
        return { result: { version: record, created: false, metadataChanged }, bumped: false };
      }
      const version = (view?.latest ?? 0) + 1;
      const record: ViewVersionRecord = { name, version, digest, definition, createdAt: now.toISOString() };
      await this.kv.put(q, `view-version/${name}/${pad(version)}`, record);
      await this.kv.put(q, `view-digest/${name}/${digest}`, version);
      await this.kv.put(q, `view/${name}`, { name, latest: version, metadata, updatedAt: now.toISOString() } satisfies ViewRecord);
      return { result: { version: record, created: true, metadataChanged }, bumped: true };
    });
  }

  async getView(name: string): Promise<ViewRecord | undefined> {
    return this.kv.get<ViewRecord>(this.pool, `view/${name}`);
  }

  async listViews(): Promise<ViewRecord[]> {
    return this.kv.rangeValues<ViewRecord>(this.pool, 'view/');
  }

  async getViewVersion(name: string, version: number): Promise<ViewVersionRecord | undefined> {
    return this.kv.get<ViewVersionRecord>(this.pool, `view-version/${name}/${pad(version)}`);
  }

  async listViewVersions(name: string): Promise<ViewVersionRecord[]> {
    return this.kv.rangeValues<ViewVersionRecord>(this.pool, `view-version/${name}/`);
  }

  async applyService(definition: FeatureServiceDefinition, digest: string, now: Date): Promise<{ version: ServiceVersionRecord; created: boolean }> {
    const name = definition.name;
    return this.changing<{ version: ServiceVersionRecord; created: boolean }>(async (q) => {
      await lockName(q, `service/${name}`);
      const known = await this.kv.get<number>(q, `service-digest/${name}/${digest}`);
      if (known !== undefined) return { result: { version: (await this.kv.get<ServiceVersionRecord>(q, `service-version/${name}/${pad(known)}`))!, created: false }, bumped: false };
      const version = ((await this.kv.get<number>(q, `service/${name}`)) ?? 0) + 1;
      const record: ServiceVersionRecord = { name, version, digest, definition, createdAt: now.toISOString() };
      await this.kv.put(q, `service-version/${name}/${pad(version)}`, record);
      await this.kv.put(q, `service-digest/${name}/${digest}`, version);
      await this.kv.put(q, `service/${name}`, version);
      return { result: { version: record, created: true }, bumped: true };
    });
  }

  async getService(name: string, version?: number): Promise<ServiceVersionRecord | undefined> {
    const v = version ?? (await this.kv.get<number>(this.pool, `service/${name}`));
    return v === undefined ? undefined : this.kv.get<ServiceVersionRecord>(this.pool, `service-version/${name}/${pad(v)}`);
  }

  /** From memory, kept current by LISTEN (see GenerationWatcher): no statement per call. */
  async definitionsGeneration(): Promise<number> {
    return this.watcher.current();
  }

  // Runs one change; when it recorded something, bumps and notifies the generation in the same
  // transaction (the notification leaves at commit) and takes the new number at once.
  private async changing<T>(work: (q: PgQueryable) => Promise<{ result: T; bumped: boolean }>): Promise<T> {
    const { result, generation } = await this.pool.tx(async (q) => {
      const { result, bumped } = await work(q);
      if (!bumped) return { result, generation: undefined };
      const generation = await this.kv.increment(q, GENERATION_KEY);
      await q.query('SELECT pg_notify($1, $2)', [GENERATION_CHANNEL, String(generation)]);
      return { result, generation };
    });
    if (generation !== undefined) this.watcher.observe(generation);
    return result;
  }
}
