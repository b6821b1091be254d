import { readFile, rm } from 'node:fs/promises';
import { Bool, Field, Float64, Int64, Schema, Table, TimestampMillisecond, Utf8, makeData, RecordBatch, Struct, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';
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
    const columns = await s.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(file)})`);
    const rows = await s.all(`SELECT * FROM read_parquet(${quoteLiteral(file)})`);
    const fields: Field[] = [];
    const vectors = columns.map((c) => {
      const type = arrowType(c.column_type);
      fields.push(new Field(c.column_name, type, true));
      const values = rows.map((r) => {
        const v = r[c.column_name];
        if (v === null || v === undefined) return null;
        if (type instanceof TimestampMillisecond) return Date.parse(String(v));
        if (type instanceof Int64) return BigInt(v as number);
        return v;
      });
      return vectorFromArray(values as unknown[], type);
    });
    const schema = new Schema(fields);
    const data = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children: vectors.map((v) => v.data[0]) });
    return Buffer.from(tableToIPC(new Table(schema, [new RecordBatch(schema, data)]), 'stream'));
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
