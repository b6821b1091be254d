import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Bool, Float64, Int64, Table, TimestampMillisecond, makeVector } from 'apache-arrow';
import type { DuckDbClient, DuckDbSession, SqlRow } from '../duckdb/duckdb.client';
import { quoteSourceColumn } from '../sql/identifier';
import { fileLiteral, joinSql, raw, sql } from '../sql/sql';
import { arrowType, columnBuilder } from './arrow-columns';

/** A stored training set: its Parquet file (the rows in request order). */
export interface StoredSetFile {
  readonly file: string;
}

/**
 * Reads a stored training set back in the shapes its callers hand on: row objects (small sets),
 * an Arrow table built column by column (no row objects, whatever the size) or CSV text.
 */
export class TrainingSetReader {
  constructor(
    private readonly db: DuckDbClient,
    private readonly tmpDir: string,
  ) {}

  /** The stored columns with their DuckDB types (the Parquet footer only). */
  columnTypes(set: StoredSetFile): Promise<Array<{ name: string; type: string }>> {
    return this.db.withSession(async (s) =>
      (await s.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM read_parquet(${fileLiteral(set.file)})`)).map((c) => ({ name: c.column_name, type: c.column_type })),
    );
  }

  /** The rows as JSON-safe objects, in stored order. */
  rows(set: StoredSetFile): Promise<SqlRow[]> {
    return this.db.withSession((s) => s.all(sql`SELECT * FROM read_parquet(${fileLiteral(set.file)})`));
  }

  /** The rows as an Arrow table (types as arrowType), straight from DuckDB's result chunks. */
  arrowTable(set: StoredSetFile): Promise<Table> {
    return this.db.withSession((s) => arrowFromChunks(s, set.file));
  }

  /** The rows as CSV with a header, times as ISO-8601 with Z, written by DuckDB. */
  async csv(set: StoredSetFile): Promise<Buffer> {
    await mkdir(this.tmpDir, { recursive: true });
    const out = join(this.tmpDir, `training-set-${randomBytes(8).toString('hex')}.csv`);
    try {
      await this.db.withSession((s) =>
        s.run(sql`COPY (SELECT * FROM read_parquet(${fileLiteral(set.file)})) TO ${fileLiteral(out)} (FORMAT csv, HEADER, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%fZ')`),
      );
      return await readFile(out);
    } finally {
      await rm(out, { force: true });
    }
  }
}

/**
 * Arrow from DuckDB's result chunks into typed arrays (one column builder each): no per-row
 * objects, no JS arrays of values.
 */
async function arrowFromChunks(s: DuckDbSession, file: string): Promise<Table> {
  const source = sql`read_parquet(${fileLiteral(file)})`;
  const described = await s.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM ${source}`);
  const [{ n }] = await s.all<{ n: number }>(sql`SELECT count(*) AS n FROM ${source}`);
  const types = described.map((c) => arrowType(c.column_type));
  const select = described.map((c, i) => {
    const col = quoteSourceColumn(c.column_name);
    const t = types[i];
    if (t instanceof TimestampMillisecond) return raw(`epoch_ms(${col})`);
    if (t instanceof Int64) return raw(`CAST(${col} AS BIGINT)`);
    if (t instanceof Float64) return raw(`CAST(${col} AS DOUBLE)`);
    if (t instanceof Bool) return raw(col);
    return raw(`CAST(${col} AS VARCHAR)`);
  });
  const builders = types.map((t) => columnBuilder(t, n));
  const result = await s.stream(sql`SELECT ${joinSql(select)} FROM ${source}`);
  let offset = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const count = chunk.rowCount;
    if (offset + count > n) throw new Error(`training set ${file} changed while being read`);
    builders.forEach((b, i) => b.put(chunk.getColumnVector(i), count, offset));
    offset += count;
  }
  return new Table(Object.fromEntries(described.map((c, i) => [c.column_name, makeVector(builders[i].finish(offset))])));
}
