import { readFile, rm } from 'node:fs/promises';
import { Bool, Field, Float64, Int64, Table, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import { FeatureStoreError, ErrorCode } from '../errors/feature-store.error';
import { quoteLiteral } from '../sql/identifier';

export type TrainingSetFormat = 'json' | 'csv' | 'parquet' | 'arrow';

const MEDIA: Record<string, TrainingSetFormat> = {
  'application/json': 'json',
  'text/csv': 'csv',
  'application/vnd.apache.parquet': 'parquet',
  'application/x-parquet': 'parquet',
  'application/vnd.apache.arrow.stream': 'arrow',
};

export const CONTENT_TYPE: Record<TrainingSetFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.stream',
};

/** Picks the answer format from an Accept header (first supported type wins; default JSON). */
export function negotiateFormat(accept: string | undefined): TrainingSetFormat {
  if (!accept || accept.trim() === '' || accept.includes('*/*')) return 'json';
  for (const part of accept.split(',')) {
    const format = MEDIA[part.split(';')[0].trim().toLowerCase()];
    if (format) return format;
  }
  throw new FeatureStoreError(ErrorCode.UnsupportedMediaType, `Accept: none of ${accept} is offered; use ${Object.keys(MEDIA).join(', ')}`, { field: 'Accept' });
}

/** Renders a stored training set file (Parquet) as CSV, Parquet or Arrow IPC bytes. */
export async function renderTrainingSet(db: DuckDbClient, file: string, format: Exclude<TrainingSetFormat, 'json'>): Promise<Buffer> {
  if (format === 'parquet') return readFile(file);
  if (format === 'csv') {
    const out = `${file}.${process.pid}.${Date.now()}.csv`;
    try {
      await db.withSession((s) => s.run(`COPY (SELECT * FROM read_parquet(${quoteLiteral(file)})) TO ${quoteLiteral(out)} (FORMAT csv, HEADER, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%fZ')`));
      return await readFile(out);
    } finally {
      await rm(out, { force: true });
    }
  }
  return db.withSession(async (s) => {
    // Column by column from DuckDB into Arrow vectors: no per-row objects.
    const { names, types, columns } = await s.columns(`SELECT * FROM read_parquet(${quoteLiteral(file)})`);
    const fields = names.map((name, i) => new Field(name, arrowType(types[i]), true));
    const vectors = columns.map((values, i) => {
      const type = fields[i].type;
      const prepared = type instanceof Int64 ? values.map((v) => (v === null ? null : BigInt(v as number | bigint))) : values;
      return vectorFromArray(prepared, type);
    });
    // The Table constructor aligns the vectors' chunks into record batches.
    const table = new Table(Object.fromEntries(names.map((name, i) => [name, vectors[i]])));
    return Buffer.from(tableToIPC(table, 'stream'));
  });
}

function arrowType(duckType: string): DataType {
  const t = duckType.toUpperCase();
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return new Float64();
  if (t === 'BIGINT' || t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT' || t === 'HUGEINT') return new Int64();
  if (t === 'BOOLEAN') return new Bool();
  if (t.startsWith('TIMESTAMP')) return new TimestampMillisecond('UTC');
  return new Utf8();
}
