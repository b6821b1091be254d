import { tableFromIPC, DataType, Precision, type Table } from 'apache-arrow';
import { InvalidArgumentError, type RowsFile } from '@app/features';
import { UnsupportedMediaTypeError, mediaType } from './media-type';

/** Body formats of a pushed table (dataset rows, a training set's entity frame), by Content-Type. */
export type BodyFormat = 'json' | 'ndjson' | 'csv' | 'parquet' | 'arrow';

const CONTENT_TYPES: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/json-seq': 'ndjson',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/vnd.apache.parquet': 'parquet',
  'application/x-parquet': 'parquet',
  'application/parquet': 'parquet',
  'application/vnd.apache.arrow.stream': 'arrow',
  'application/vnd.apache.arrow.file': 'arrow',
};

/** Content types the raw-body parser must accept (JSON is parsed by the framework). */
export const RAW_BODY_CONTENT_TYPES = Object.keys(CONTENT_TYPES).filter((t) => t !== 'application/json');

/** Maps a Content-Type header to a body format; 415 naming the accepted types otherwise. */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  const type = mediaType(contentType);
  // Own keys only: `constructor` or `__proto__` as a Content-Type must not find Object's members.
  const format = Object.hasOwn(CONTENT_TYPES, type) ? CONTENT_TYPES[type] : undefined;
  if (!format) throw new UnsupportedMediaTypeError(contentType, Object.keys(CONTENT_TYPES));
  return format;
}

/** Rows as file bytes, with the DuckDB type of each column when the body declared them (Arrow). */
export interface TableFile extends RowsFile {
  readonly columnTypes?: Readonly<Record<string, string>>;
}

/**
 * Turns a request body into bytes DuckDB can read and the format to read them as. JSON must be
 * an array of row objects; Arrow IPC is converted to NDJSON (DuckDB here has no Arrow reader),
 * with its schema's types alongside so that a reader need not guess them from JSON.
 */
export function bodyToFile(format: BodyFormat, body: unknown): TableFile {
  switch (format) {
    case 'json':
      return { bytes: Buffer.from(rowsToNdjson(jsonRows(body))), format: 'ndjson' };
    case 'arrow': {
      const table = arrowTable(asBuffer(body));
      return { bytes: Buffer.from(rowsToNdjson(arrowRows(table))), format: 'ndjson', columnTypes: duckDbTypes(table) };
    }
    case 'ndjson':
    case 'csv':
    case 'parquet':
      return { bytes: asBuffer(body), format };
  }
}

function asBuffer(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  throw new InvalidArgumentError('body: expected raw bytes', { field: 'body' });
}

// Row numbers in messages count from 1, as the ingestion's own row errors do.
function jsonRows(body: unknown): Record<string, unknown>[] {
  if (!Array.isArray(body)) throw new InvalidArgumentError('body: expected a JSON array of row objects', { field: 'body' });
  body.forEach((row, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      throw new InvalidArgumentError(`body[${i}]: row ${i + 1} is not a row object`, { field: `body[${i}]`, row: i + 1 });
    }
  });
  return body as Record<string, unknown>[];
}

function arrowTable(bytes: Buffer): Table {
  try {
    return tableFromIPC(bytes);
  } catch (error) {
    throw new InvalidArgumentError(`body: not an Arrow IPC stream (${(error as Error).message})`, { field: 'body' });
  }
}

function arrowRows(table: Table): Record<string, unknown>[] {
  const fields = table.schema.fields;
  const columns = fields.map((f) => table.getChild(f.name)!);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    fields.forEach((field, j) => {
      const value: unknown = columns[j].get(i);
      row[field.name] = arrowValue(value, field.type);
    });
    rows.push(row);
  }
  return rows;
}

function arrowValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if ((DataType.isTimestamp(type) || DataType.isDate(type)) && (typeof value === 'number' || typeof value === 'bigint')) {
    return new Date(Number(value)).toISOString();
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/**
 * The DuckDB type of each column of an Arrow table, or undefined when a column has a type JSON
 * cannot carry faithfully (lists, structs, …): the reader then infers every type, as before.
 */
export function duckDbTypes(table: Table): Record<string, string> | undefined {
  const types: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const type = duckDbType(DataType.isDictionary(field.type) ? field.type.dictionary : field.type);
    if (!type) return undefined;
    types[field.name] = type;
  }
  return types;
}

function duckDbType(type: DataType): string | undefined {
  if (DataType.isFloat(type)) return type.precision === Precision.DOUBLE ? 'DOUBLE' : 'FLOAT';
  if (DataType.isInt(type)) return `${type.isSigned ? '' : 'U'}${INT_TYPES[type.bitWidth]}`;
  if (DataType.isBool(type)) return 'BOOLEAN';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'VARCHAR';
  if (DataType.isTimestamp(type)) return 'TIMESTAMPTZ'; // written as ISO text in UTC (arrowValue)
  if (DataType.isDate(type)) return 'DATE';
  return undefined;
}

const INT_TYPES: Record<number, string> = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' };

function rowsToNdjson(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}
