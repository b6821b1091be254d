import { InvalidArgumentError, rowsToNdjson, type RowsFile } from '@app/features';
import { arrowToNdjson } from './arrow-body';
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
      return { bytes: Buffer.from(rowsToNdjson(jsonRows(body), 'body')), format: 'ndjson' };
    case 'arrow':
      return { ...arrowToNdjson(asBuffer(body)), format: 'ndjson' };
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
