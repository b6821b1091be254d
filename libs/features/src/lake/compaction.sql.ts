import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDbSession } from '../duckdb/duckdb.client';
import { INGESTED_AT, type DatasetSchema } from '../datasets/dataset.schema';
import { fileListLiteral, fileLiteral, ident, joinSql, sql, type Sql } from '../sql/sql';
import { partitionValueSql, type PartitionGranularity } from './partitioning';

/** How big a compacted file may grow. */
export interface CompactionTarget {
  readonly bytes: number;
  readonly rows: number;
}

/**
 * The row versions of `inputs` a compaction keeps: all of them, or with a retention horizon
 * those not superseded (by a version of the same keys and ts ingested later) at or before it.
 * Such a version can only answer a `knownAt` before the horizon, which is refused from then on.
 */
export function keptRowsSql(schema: DatasetSchema, inputs: readonly string[], horizon: Date | null): Sql {
  const read = sql`read_parquet(${fileListLiteral(inputs)})`;
  if (!horizon) return sql`SELECT * FROM ${read}`;
  const partition = joinSql([...schema.keys, schema.timestampColumn].map((c) => ident(c)));
  const at = ident(INGESTED_AT);
  return sql`SELECT * EXCLUDE (_next) FROM (SELECT *, lead(${at}) OVER (PARTITION BY ${partition} ORDER BY ${at}) AS _next FROM ${read})
    WHERE _next IS NULL OR _next > ${horizon}`;
}

/** The partition values (of `granularity`) the rows of `inputs` fall in. */
export async function targetPartitions(session: DuckDbSession, schema: DatasetSchema, inputs: readonly string[], granularity: PartitionGranularity): Promise<string[]> {
  const value = partitionValueSql(ident(schema.timestampColumn), granularity);
  const rows = await session.all<{ p: string }>(sql`SELECT DISTINCT ${value} AS p FROM read_parquet(${fileListLiteral(inputs)}) ORDER BY p`);
  return rows.map((r) => r.p);
}

/**
 * Writes the kept rows of `inputs` that fall in partition `value` into `dir` as files of about
 * the target size (`name(0)`, `name(1)`, …: as many as the rows or the bytes of the inputs
 * need), each sorted by keys, ts and ingested_at, so readers' row groups cover narrow key
 * ranges. Returns the file names and the rows written.
 */
export async function writeCompacted(
  session: DuckDbSession,
  schema: DatasetSchema,
  inputs: readonly string[],
  inputBytes: number,
  horizon: Date | null,
  granularity: PartitionGranularity,
  value: string,
  dir: string,
  target: CompactionTarget,
  name: (i: number) => string,
): Promise<{ files: string[]; rows: number }> {
  const columns = joinSql([...schema.columns.map((c) => ident(c.name)), ident(INGESTED_AT)]);
  const order = joinSql([...schema.keys, schema.timestampColumn, INGESTED_AT].map((c) => ident(c)));
  const inPartition = sql`${partitionValueSql(ident(schema.timestampColumn), granularity)} = ${value}`;
  const table = ident(`_compact_${randomBytes(4).toString('hex')}`);
  // Each row numbered once in sort order: chunks are ranges of that number (ties, possible
  // between re-ingested identical rows, cannot move a row from one chunk to another).
  await session.run(
    sql`CREATE TEMP TABLE ${table} AS SELECT ${columns}, row_number() OVER (ORDER BY ${order}) AS _rn FROM (${keptRowsSql(schema, inputs, horizon)}) WHERE ${inPartition}`,
  );
  try {
    const rows = Number((await session.one<{ n: number | bigint }>(sql`SELECT count(*) AS n FROM ${table}`))?.n ?? 0);
    const chunks = Math.max(1, Math.ceil(rows / target.rows), Math.ceil(inputBytes / target.bytes));
    const files: string[] = [];
    if (rows === 0) return { files, rows };
    for (let i = 0; i < chunks; i++) {
      // Chunk i: the rows numbered (i * rows / chunks, (i + 1) * rows / chunks].
      const lo = Math.floor((i * rows) / chunks);
      const hi = Math.floor(((i + 1) * rows) / chunks);
      const file = name(i);
      await session.run(sql`COPY (SELECT ${columns} FROM ${table} WHERE _rn > ${lo} AND _rn <= ${hi} ORDER BY _rn) TO ${fileLiteral(join(dir, file))} (FORMAT parquet)`);
      files.push(file);
    }
    return { files, rows };
  } finally {
    await session.run(sql`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Row versions a retention horizon would drop from `files` (0 without a horizon). */
export async function droppableVersions(session: DuckDbSession, schema: DatasetSchema, files: readonly string[], horizon: Date | null): Promise<number> {
  if (!horizon || files.length === 0) return 0;
  const partition = joinSql([...schema.keys, schema.timestampColumn].map((c) => ident(c)));
  const at = ident(INGESTED_AT);
  const row = await session.one<{ n: number | bigint }>(
    sql`SELECT count(*) AS n FROM (SELECT lead(${at}) OVER (PARTITION BY ${partition} ORDER BY ${at}) AS _next FROM read_parquet(${fileListLiteral(files)}))
      WHERE _next IS NOT NULL AND _next <= ${horizon}`,
  );
  return Number(row?.n ?? 0);
}

/** Rows in `files`. */
export async function countRows(session: DuckDbSession, files: readonly string[]): Promise<number> {
  if (files.length === 0) return 0;
  const row = await session.one<{ n: number | bigint }>(sql`SELECT count(*) AS n FROM read_parquet(${fileListLiteral(files)})`);
  return Number(row?.n ?? 0);
}
