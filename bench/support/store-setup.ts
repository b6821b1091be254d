import { FeatureStore, SyntheticProvider, applyCatalog, barSchema, loadConfig, type Catalog } from '@app/features';

/**
 * The library calls the benches make to build their data, in one place: when the library's
 * API changes, this file and the measured calls are all there is to adapt.
 */

/** Opens a store on `dataDir`, runs `work`, closes it. */
export async function withStore<T>(dataDir: string, work: (store: FeatureStore) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const store = await FeatureStore.open(loadConfig({ DATA_DIR: dataDir, ...env }));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Ingests `symbols` x `days` synthetic daily bars ending at `endDate` into `bars_1d`. */
export async function ingestSyntheticBars(store: FeatureStore, bars: ConstructorParameters<typeof SyntheticProvider>[0]): Promise<void> {
  await store.ingest.run(new SyntheticProvider(bars), { dataset: 'bars_1d', createAs: 'bars' });
}

/**
 * Applies `catalog` and materialises `views` (default: all of them). `registerBars` first
 * records `bars_1d` for a data dir whose lake is linked from another (see dataDirOverLake).
 */
export async function applyAndMaterialize(store: FeatureStore, catalog: Catalog, options: { views?: readonly string[]; registerBars?: boolean } = {}): Promise<void> {
  if (options.registerBars) await store.registry.datasets.putDataset(barSchema('bars_1d'), true);
  await applyCatalog(store.features, catalog);
  for (const view of options.views ?? catalog.views.map((v) => v.name)) await store.materializer.run({ view });
}
