import { extname } from 'node:path';
import { InvalidArgumentError, ErrorCode } from '../errors/feature-store.error';
import { quoteLiteral } from '../sql/identifier';

export const SOURCE_FORMATS = ['csv', 'json', 'ndjson', 'parquet'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** A file DuckDB reads directly. `identity` is a digest of its bytes. */
export interface FileSource {
  readonly kind: 'file';
  readonly path: string;
  readonly format: SourceFormat;
  readonly identity: string;
  readonly label: string;
}

/** A SELECT that produces rows (the synthetic generator); `identity` is a digest of its parameters. */
export interface QuerySource {
  readonly kind: 'query';
  readonly sql: string;
  readonly identity: string;
  readonly label: string;
}

export type IngestSource = FileSource | QuerySource;

/** Picks the format from an explicit option or the file's extension. */
export function detectFormat(path: string, explicit?: string): SourceFormat {
  const candidate = (explicit ?? extname(path).slice(1)).toLowerCase();
  const aliases: Record<string, SourceFormat> = { csv: 'csv', txt: 'csv', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson', parquet: 'parquet', pq: 'parquet' };
  const format = aliases[candidate];
  if (!format) {
    throw new InvalidArgumentError(
      `format: cannot tell the format of ${path}; pass --format ${SOURCE_FORMATS.join('|')}`,
      { field: 'format' },
      ErrorCode.InvalidArgument,
    );
  }
  return format;
}

/**
 * The DuckDB table expression that reads a source. Text formats are read as VARCHAR so that a
 * bad value fails its own row (and is quarantined) instead of the whole file.
 */
export function readerSql(source: IngestSource, jsonColumns?: readonly string[]): string {
  if (source.kind === 'query') return `(${source.sql})`;
  const path = quoteLiteral(source.path);
  switch (source.format) {
    case 'csv':
      return `read_csv(${path}, header = true, all_varchar = true)`;
    case 'parquet':
      return `read_parquet(${path})`;
    case 'json':
    case 'ndjson': {
      const format = source.format === 'json' ? 'array' : 'newline_delimited';
      if (!jsonColumns) return `read_json(${path}, format = '${format}')`;
      const columns = jsonColumns.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(', ');
      return `read_json(${path}, format = '${format}', columns = {${columns}})`;
    }
  }
}
