import type { FeatureRegistry } from './feature-registry';
import type { DatasetRegistry, Registry } from './registry';

// transitional: callers move to the aggregates
export type TransitionalRegistry = Registry & DatasetRegistry & { readonly features: FeatureRegistry };

// transitional: callers move to the aggregates
export function withTransitionalViews(registry: Registry): TransitionalRegistry {
  const features: FeatureRegistry = { ...bound(registry.definitions), ...bound(registry.materializations), ...bound(registry.trainingSets), ...bound(registry.runs), ...bound(registry.jobs) };
  return {
    ...bound(registry.datasets),
    ...bound(registry.streams),
    ...bound(registry.meta),
    datasets: registry.datasets,
    definitions: registry.definitions,
    materializations: registry.materializations,
    trainingSets: registry.trainingSets,
    runs: registry.runs,
    jobs: registry.jobs,
    streams: registry.streams,
    meta: registry.meta,
    close: () => registry.close(),
    features,
  };
}

// The methods of a repository (a class instance: they live on its prototypes) as own, bound properties.
function bound<T extends object>(repository: T): T {
  const out: Record<string, unknown> = {};
  for (let proto: object | null = repository; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value: unknown = Reflect.get(repository, key);
      if (key !== 'constructor' && !(key in out) && typeof value === 'function') out[key] = (value as (...args: unknown[]) => unknown).bind(repository);
    }
  }
  return out as T;
}
