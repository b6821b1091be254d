import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../errors/feature-store.error';
import type { BarTiming } from '../../ingest/bar-timing';
import { detectFormat } from '../../ingest/ingest-source';
import { sha256File } from '../../util/hash';
import type { MarketDataProvider, ProviderBatch } from '../market-data-provider';

export interface FileProviderOptions {
  readonly path: string;
  /** csv, json, ndjson or parquet; guessed from the extension when absent. */
  readonly format?: string;
  readonly timing: BarTiming;
  readonly symbol?: string;
  readonly mapping?: Readonly<Record<string, string>>;
}

/**
 * A local file in the vendor layout (`Date,High,Low,Open,Close,Volume,Adj Close`) or any CSV,
 * NDJSON, JSON or Parquet file whose columns map onto the dataset's (`mapping`).
 */
export class FileProvider implements MarketDataProvider {
  readonly name = 'file';

  constructor(private readonly options: FileProviderOptions) {}

  async *batches(): AsyncIterable<ProviderBatch> {
    const path = resolve(this.options.path);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new InvalidArgumentError(`path: no such file ${this.options.path}`, { field: 'path' });
    }
    const format = detectFormat(path, this.options.format);
    yield {
      source: { kind: 'file', path, format, identity: await sha256File(path), label: this.options.path },
      timing: this.options.timing,
      constants: { symbol: this.options.symbol },
      mapping: this.options.mapping,
    };
  }
}
