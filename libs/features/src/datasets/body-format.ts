import { tableFromIPC, DataType, type Table } from 'apache-arrow';
import { ErrorCode, InvalidArgumentError, FeatureStoreError } from '../errors/feature-store.error';
import type { SourceFormat } from '../ingest/ingest-source';

/** Body formats accepted by POST /v1/datasets/{name}/rows, by Content-Type. */
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

class UnsupportedMediaTypeError extends FeatureStoreError {
  constructor(contentType: string) {
    super(
      ErrorCode.UnsupportedMediaType,
      `Content-Type ${JSON.stringify(contentType)} is not supported; use one of ${Object.keys(CONTENT_TYPES).join(', ')}`,
      { field: 'Content-Type' },
    );
  }
}

/** Maps a Content-Type header to a body format; throws UNSUPPORTED_MEDIA_TYPE otherwise. */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const format = CONTENT_TYPES[base];
  if (!format) throw new UnsupportedMediaTypeError(contentType ?? '');
  return format;
}

/**
 * Turns a request body into bytes DuckDB can read and the format to read them as. JSON must be
 * an array of row objects; Arrow IPC is converted to NDJSON (DuckDB here has no Arrow reader).
 */
export function bodyToFile(format: BodyFormat, body: unknown): { bytes: Buffer; format: SourceFormat } {
  switch (format) {
    case 'json':
      return { bytes: Buffer.from(rowsToNdjson(jsonRows(body))), format: 'ndjson' };
    case 'arrow':
      return { bytes: Buffer.from(rowsToNdjson(arrowRows(asBuffer(body)))), format: 'ndjson' };
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

function jsonRows(body: unknown): Record<string, unknown>[] {
  if (!Array.isArray(body)) throw new InvalidArgumentError('body: expected a JSON array of row objects', { field: 'body' });
  body.forEach((row, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      throw new InvalidArgumentError(`body[${i}]: expected a row object`, { field: `body[${i}]` });
    }
  });
  return body as Record<string, unknown>[];
}

function arrowRows(bytes: Buffer): Record<string, unknown>[] {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new InvalidArgumentError(`body: not an Arrow IPC stream (${(error as Error).message})`, { field: 'body' });
  }
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

function rowsToNdjson(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}
