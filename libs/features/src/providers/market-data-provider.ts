import type { BarTiming } from '../ingest/bar-timing';
import type { IngestResult } from '../ingest/batch-ingestor';
import type { IngestSource } from '../ingest/ingest-source';

/** One unit of work a provider hands to the ingestor: a source plus how to read it. */
export interface ProviderBatch {
  readonly source: IngestSource;
  readonly timing: BarTiming;
  readonly constants?: Readonly<Record<string, string | undefined>>;
  readonly mapping?: Readonly<Record<string, string>>;
  readonly keepAfter?: Date;
  readonly keepUntil?: Date;
  /** Called once the batch is committed (or found already ingested): e.g. to move a watermark. */
  committed?(result: IngestResult): Promise<void>;
  /** Called when the batch is finished either way: e.g. to delete a temporary file. */
  release?(): Promise<void>;
}

/** A source of market data bars: a file, an HTTP API, a generator. Drivers live in `drivers/`. */
export interface MarketDataProvider {
  readonly name: string;
  batches(): AsyncIterable<ProviderBatch>;
}
