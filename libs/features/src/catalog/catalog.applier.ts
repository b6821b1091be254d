import type { FeatureViewService, ApplyOutcome } from '../definitions/feature-view.service';
import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition } from '../definitions/feature-definition';

export interface Catalog {
  readonly entities: readonly EntityDefinition[];
  readonly views: readonly FeatureViewDefinition[];
  readonly services: readonly FeatureServiceDefinition[];
}

export interface CatalogPlanLine {
  readonly kind: 'entity' | 'feature view' | 'feature service';
  readonly name: string;
  readonly change: ApplyOutcome['change'] | 'new' | 'updated';
  readonly version?: number;
  readonly changed?: readonly string[];
}

/**
 * Applies a catalog like `feast apply`: entities first, then views, then services; every step is
 * idempotent, so a second run reports everything unchanged. With `dryRun`, only plans.
 */
export async function applyCatalog(service: FeatureViewService, catalog: Catalog, dryRun = false): Promise<CatalogPlanLine[]> {
  const lines: CatalogPlanLine[] = [];
  const knownEntities = new Map((await service.listEntities()).map((e) => [e.name, e]));
  for (const entity of catalog.entities) {
    const before = knownEntities.get(entity.name);
    const same = before && JSON.stringify(before) === JSON.stringify(entity);
    if (!dryRun && !same) await service.applyEntity(entity);
    lines.push({ kind: 'entity', name: entity.name, change: !before ? 'new' : same ? 'unchanged' : 'updated' });
  }
  for (const view of catalog.views) {
    const outcome = dryRun && knownEntities.has(view.entity) ? await service.plan(view) : dryRun ? null : await service.apply(view);
    if (outcome) lines.push({ kind: 'feature view', name: view.name, change: outcome.change, version: outcome.version, changed: outcome.changed });
    else lines.push({ kind: 'feature view', name: view.name, change: 'new-view', version: 1 });
  }
  for (const svc of catalog.services) {
    if (dryRun) {
      lines.push({ kind: 'feature service', name: svc.name, change: 'new' });
      continue;
    }
    const result = await service.applyService(svc);
    lines.push({ kind: 'feature service', name: svc.name, change: result.created ? 'new' : 'unchanged', version: result.version });
  }
  return lines;
}

/**
 * The plan of a catalog against a registry that holds nothing yet (a data folder never used):
 * everything is new. Lets a dry run answer without opening, and so creating, the stores.
 */
export function planForEmptyRegistry(catalog: Catalog): CatalogPlanLine[] {
  return [
    ...catalog.entities.map((e): CatalogPlanLine => ({ kind: 'entity', name: e.name, change: 'new' })),
    ...catalog.views.map((v): CatalogPlanLine => ({ kind: 'feature view', name: v.name, change: 'new-view', version: 1 })),
    ...catalog.services.map((s): CatalogPlanLine => ({ kind: 'feature service', name: s.name, change: 'new' })),
  ];
}

/** One line per definition, e.g. "feature view trend: new version 2 (changed: sql, ttlSeconds)". */
export function formatPlan(lines: readonly CatalogPlanLine[]): string {
  return lines
    .map((l) => {
      const what = `${l.kind} ${l.name}`;
      switch (l.change) {
        case 'new-view':
          return `${what}: new view, version ${l.version}`;
        case 'new-version':
          return `${what}: new version ${l.version} (changed: ${(l.changed ?? []).join(', ')})`;
        case 'metadata':
          return `${what}: metadata updated, version ${l.version} unchanged`;
        case 'unchanged':
          return `${what}: unchanged${l.version ? ` (version ${l.version})` : ''}`;
        default:
          return `${what}: ${l.change}${l.version ? ` (version ${l.version})` : ''}`;
      }
    })
    .join('\n');
}
