import type { Catalog } from '../../catalog/catalog.applier';
import type { FeatureViewService } from '../../definitions/feature-view.service';
import type { DatasetRepository } from '../../registry/dataset.repository';

/** The definitions side the setup reads and writes. */
export type StreamViewDefinitions = Pick<FeatureViewService, 'list' | 'getVersion' | 'listEntities' | 'applyEntity' | 'apply' | 'applyService' | 'getService'>;

/** Materialises a view version (offline and online) up to its source's newest row. */
export interface ViewMaterializer {
  run(request: { readonly view: string; readonly version?: number }): Promise<unknown>;
}

/** A failed attempt is not made again before this pause (doubling from 1 s up to 1 min). */
const RETRY_MS = { first: 1000, max: 60_000 };

/** After a check that found nothing to do, the next one waits this long (the batches come every second or faster). */
const SETTLED_MS = 5000;

/**
 * Gives a worker on a fresh data folder online values without a manual step. The stream only
 * refreshes view versions that were materialised, and the built-in catalog cannot be applied
 * before its source dataset exists (its SQL is checked against it). So once the
 * streamed dataset exists, the catalog's views over it that are not registered are applied (with
 * their entities and the services built on them), and the latest version of every `stream: true`
 * view over it that has no materialisation yet is materialised. Nothing registered is changed.
 */
export class StreamViewSetup {
  private readonly retryAt = new Map<string, { at: number; pause: number }>();
  /** When a check last found everything set up (0: not yet). */
  private settledAt = 0;

  constructor(
    private readonly definitions: StreamViewDefinitions,
    private readonly materializer: ViewMaterializer,
    private readonly datasets: Pick<DatasetRepository, 'getDataset'>,
    private readonly catalog: Catalog | null,
  ) {}

  /** Does what is missing for `dataset`; returns the view versions materialised now. Calls `failed` for what could not be done (tried again later). */
  async ensure(dataset: string, failed: (what: string, message: string) => void): Promise<string[]> {
    if (Date.now() - this.settledAt < SETTLED_MS || !(await this.datasets.getDataset(dataset))) return [];
    let settled = !this.catalog || (await this.attempt('catalog', failed, () => this.applyCatalog(dataset)));
    const done: string[] = [];
    for (const view of await this.definitions.list()) {
      if (view.source !== dataset) continue;
      const record = await this.definitions.getVersion(view.name, view.version);
      if (!record.definition.stream || record.materialized) continue;
      const name = `${view.name}@${view.version}`;
      if (await this.attempt(name, failed, () => this.materializer.run({ view: view.name, version: view.version }))) done.push(name);
      else settled = false;
    }
    if (settled) this.settledAt = Date.now();
    return done;
  }

  // The catalog's views over the dataset that are not registered, their entities and services.
  private async applyCatalog(dataset: string): Promise<void> {
    const catalog = this.catalog!;
    const views = catalog.views.filter((v) => v.source === dataset);
    const registered = new Set((await this.definitions.list()).map((v) => v.name));
    const missing = views.filter((v) => !registered.has(v.name));
    if (missing.length === 0) return;
    const entities = new Set((await this.definitions.listEntities()).map((e) => e.name));
    for (const entity of catalog.entities) {
      if (!entities.has(entity.name) && missing.some((v) => v.entity === entity.name)) await this.definitions.applyEntity(entity);
    }
    for (const view of missing) await this.definitions.apply(view);
    // A service of the catalog built only on these views, when no service of that name exists.
    const names = new Set(views.map((v) => v.name));
    for (const service of catalog.services) {
      if (!service.features.every((ref) => names.has(ref.split(/[@:]/, 1)[0]))) continue;
      const exists = await this.definitions.getService(service.name).then(
        () => true,
        () => false,
      );
      if (!exists) await this.definitions.applyService(service);
    }
  }

  // Runs `work` unless it failed lately; a failure is reported and paused on, not thrown.
  private async attempt(what: string, failed: (what: string, message: string) => void, work: () => Promise<unknown>): Promise<boolean> {
    const retry = this.retryAt.get(what);
    if (retry && Date.now() < retry.at) return false;
    try {
      await work();
      this.retryAt.delete(what);
      return true;
    } catch (error) {
      const pause = retry ? Math.min(RETRY_MS.max, retry.pause * 2) : RETRY_MS.first;
      this.retryAt.set(what, { at: Date.now() + pause, pause });
      failed(what, (error as Error).message);
      return false;
    }
  }
}
