import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureStore } from '../feature-store';
import type { IngestSummary } from '../ingest/ingest.service';
import { applyCatalog } from '../catalog/catalog.applier';
import { marketCatalog } from '../catalog/market.catalog';
import { FileProvider } from '../providers/drivers/csv-file.provider';
import { SyntheticProvider } from '../providers/drivers/synthetic.provider';
import { addDays, parseDuration, startOfUtcDay } from '../util/time';

export const SAMPLE_FILE = 'btc-usd-daily-2021.csv';
export const SAMPLE_DATASET = 'bars_1d';
const SYNTHETIC_META = 'bootstrap.synthetic';
const SYNTHETIC_SEED = 7;

interface SyntheticSeries {
  readonly symbols: number;
  readonly seed: number;
  readonly firstClose: string;
  readonly lastClose: string;
}

/**
 * First-start data, so a new user sees something at once: the BTC-USD daily bars of 2021 from
 * the samples folder, and a synthetic universe whose series is fixed at first start and topped
 * up to today on every start (only the new days are written).
 */
export async function bootstrapSampleData(
  store: FeatureStore,
  samplesDir: string,
  options: { symbols: number; days: number },
): Promise<IngestSummary[]> {
  const summaries: IngestSummary[] = [];
  const sample = join(samplesDir, SAMPLE_FILE);
  if (existsSync(sample)) {
    const provider = new FileProvider({ path: sample, timing: { kind: 'start', interval: parseDuration('1d', 'interval') }, symbol: 'BTC-USD' });
    summaries.push(await store.ingest.run(provider, { dataset: SAMPLE_DATASET, createAs: 'bars' }));
  }
  if (options.symbols > 0) summaries.push(await topUpSynthetic(store, options));
  await applyCatalog(store.features, marketCatalog);
  // Materialise the catalog up to the newest bar, so online lookups answer at once (incremental:
  // a restart computes only the new days).
  for (const view of marketCatalog.views) await store.materializer.run({ view: view.name });
  return summaries;
}

async function topUpSynthetic(store: FeatureStore, options: { symbols: number; days: number }): Promise<IngestSummary> {
  const today = startOfUtcDay(store.clock.now());
  const series =
    (await store.registry.meta.getMeta<SyntheticSeries>(SYNTHETIC_META)) ??
    ({ symbols: options.symbols, seed: SYNTHETIC_SEED, firstClose: addDays(today, -(options.days - 1)).toISOString(), lastClose: '' } satisfies SyntheticSeries);
  const days = Math.round((today.getTime() - new Date(series.firstClose).getTime()) / 86_400_000) + 1;
  const provider = new SyntheticProvider({
    symbols: series.symbols,
    days,
    seed: series.seed,
    endDate: today,
    keepAfter: series.lastClose ? new Date(series.lastClose) : undefined,
  });
  const summary = await store.ingest.run(provider, { dataset: SAMPLE_DATASET, createAs: 'bars' });
  if (summary.failures.length === 0) await store.registry.meta.setMeta<SyntheticSeries>(SYNTHETIC_META, { ...series, lastClose: today.toISOString() });
  return summary;
}
