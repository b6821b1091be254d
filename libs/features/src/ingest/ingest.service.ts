import type { PartitionGranularity } from '../lake/partitioning';
import type { MarketDataProvider } from '../providers/market-data-provider';
import { FeatureStoreError } from '../errors/feature-store.error';
import type { BatchIngestor, IngestResult } from './batch-ingestor';
import { silentProgress, type ProgressSink } from './progress';

export interface IngestSummary {
  readonly dataset: string;
  readonly provider: string;
  readonly batches: readonly IngestResult[];
  readonly failures: ReadonlyArray<{ readonly source: string; readonly error: string }>;
  readonly accepted: number;
  readonly rejected: number;
  readonly skippedBatches: number;
  readonly elapsedMs: number;
}

/** Runs a provider's batches through the ingestor, one at a time, and sums up what happened. */
export class IngestService {
  constructor(private readonly ingestor: BatchIngestor) {}

  /** Ingests every batch the provider yields into `target.dataset`; a failed batch is reported, not fatal. */
  async run(
    provider: MarketDataProvider,
    target: { dataset: string; createAs: 'bars' | 'infer' | 'none'; force?: boolean; partition?: PartitionGranularity },
    progress: ProgressSink = silentProgress,
  ): Promise<IngestSummary> {
    const started = Date.now();
    const batches: IngestResult[] = [];
    const failures: Array<{ source: string; error: string }> = [];
    for await (const batch of provider.batches()) {
      try {
        const result = await this.ingestor.ingest({ ...batch, dataset: target.dataset, createAs: target.createAs, force: target.force, partition: target.partition }, progress);
        await batch.committed?.(result);
        batches.push(result);
      } catch (error) {
        // One bad batch (a broken response, a file with no valid row) does not stop the others.
        if (!(error instanceof FeatureStoreError)) throw error;
        failures.push({ source: batch.source.label, error: error.message });
      } finally {
        await batch.release?.();
      }
    }
    const fresh = batches.filter((b) => !b.skipped);
    return {
      dataset: target.dataset,
      provider: provider.name,
      batches,
      failures,
      accepted: fresh.reduce((n, b) => n + b.accepted, 0),
      rejected: fresh.reduce((n, b) => n + b.rejected, 0),
      skippedBatches: batches.length - fresh.length,
      elapsedMs: Date.now() - started,
    };
  }
}
