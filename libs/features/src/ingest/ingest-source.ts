import { extname } from 'node:path';
import { InvalidArgumentError, ErrorCode } from '../errors/feature-store.error';
import { fileLiteral, sql, type Sql } from '../sql/sql';

export const SOURCE_FORMATS = ['csv', 'json', 'ndjson', 'parquet'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** A file DuckDB reads directly. `identity` is a digest of its bytes. */
export interface FileSource {
  readonly kind: 'file';
  readonly path: string;
  readonly format: SourceFormat;
  readonly identity: string;
  readonly label: string;
  /**
   * The names of a JSON file's fields, when its writer knows them and has checked their JSON
   * types against the dataset's (the stream's NDJSON: numbers are JSON numbers): the file is then
   * not sampled to find them and is read typed first. Fields it does not name are not read.
   */
  readonly fields?: readonly string[];
}

/** A SELECT that produces rows (the synthetic generator); `identity` is a digest of its parameters. */
export interface QuerySource {
  readonly kind: 'query';
  readonly sql: Sql;
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

/** How to read a source: let DuckDB type it (optionally forcing some columns), or read all as text. */
export interface ReadMode {
  /** Column types to force on CSV sources, e.g. {"Close": "DOUBLE"}; a bad value then fails the read. */
  readonly csvTypes?: Readonly<Record<string, string>>;
  /** Read every column as VARCHAR, so each bad value fails only its own row. */
  readonly allText?: boolean;
  /** The column names of a JSON source, needed to read it as text. */
  readonly jsonColumns?: readonly string[];
  /** Column types to read a JSON source with (every column named); a bad value then fails the read. */
  readonly jsonTypes?: Readonly<Record<string, string>>;
}

/** The DuckDB table expression that reads a source. */
export function readerSql(source: IngestSource, mode: ReadMode = {}): Sql {
  if (source.kind === 'query') return sql`(${source.sql})`;
  const path = fileLiteral(source.path);
  switch (source.format) {
    case 'csv': {
      if (mode.allText) return sql`read_csv(${path}, header = true, all_varchar = true)`;
      const types = mode.csvTypes ?? {};
      if (Object.keys(types).length === 0) return sql`read_csv(${path}, header = true)`;
      return sql`read_csv(${path}, header = true, types = ${types})`;
    }
    case 'parquet':
      return sql`read_parquet(${path})`;
    case 'json':
    case 'ndjson': {
      const format = source.format === 'json' ? 'array' : 'newline_delimited';
      if (mode.jsonTypes) return sql`read_json(${path}, format = ${format}, columns = ${mode.jsonTypes})`;
      if (!mode.allText || !mode.jsonColumns) return sql`read_json(${path}, format = ${format})`;
      const columns = Object.fromEntries(mode.jsonColumns.map((c) => [c, 'VARCHAR']));
      return sql`read_json(${path}, format = ${format}, columns = ${columns})`;
    }
  }
}
