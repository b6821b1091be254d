import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { granularityOf, type DatasetSchema } from '../datasets/dataset.schema';
import { partitionValueSql } from '../lake/partitioning';
import type { DuckDbSession } from '../duckdb/duckdb.client';
import { fileListLiteral, fileLiteral, ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { lakeColumns, utcWallTime } from './staging.sql';

/**
 * The error the direct write stops with at the first rejected row: the batch then goes the
 * general way (errors, quarantine), having paid only for the rows read until then.
 */
export const REJECTED_ROW = 'ingest: a row was rejected, the batch goes the general way';

type TimeWindow = { readonly keepAfter?: Date; readonly keepUntil?: Date };

/** The request's time window on the timestamp column, or null when it has none. */
function windowSql(schema: DatasetSchema, window: TimeWindow): Sql | null {
  const ts = ident(schema.timestampColumn);
  const parts = [...(window.keepAfter ? [sql`${ts} > ${window.keepAfter}`] : []), ...(window.keepUntil ? [sql`${ts} <= ${window.keepUntil}`] : [])];
  return parts.length ? joinSql(parts, ' AND ') : null;
}

/** The rows a batch keeps: valid, and inside the request's time window. */
export function keepSql(schema: DatasetSchema, window: TimeWindow): Sql {
  const inWindow = windowSql(schema, window);
  return inWindow ? sql`_error IS NULL AND ${inWindow}` : sql`_error IS NULL`;
}

/** The lake partition value of each row, from the UTC wall time of its timestamp (no ICU per row). */
export function lakePartitionSql(schema: DatasetSchema): Sql {
  return partitionValueSql(utcWallTime(ident(schema.timestampColumn)), granularityOf(schema));
}

/** Writes the kept rows of `rows` (a staged table or the validating SELECT) into partition folders under `dir`. */
export function partitionedCopySql(schema: DatasetSchema, rows: Sql, where: Sql, partition: Sql, dir: string): Sql {
  return sql`COPY (SELECT ${lakeColumns(schema)}, ${partition} AS date FROM ${rows} WHERE ${where})
    TO ${fileLiteral(dir)} (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part_{i}', OVERWRITE_OR_IGNORE)`;
}

/**
 * The direct write: the validating SELECT straight into the lake's partition folders, in one
 * pass over the source; a rejected row (anywhere, in the window or not) stops it with
 * REJECTED_ROW. It reads only the `_bad` flag, and once: DuckDB inlines a column into each use.
 */
export function directCopySql(schema: DatasetSchema, staging: Sql, window: TimeWindow, dir: string): Sql {
  const partition = sql`CASE WHEN _bad THEN error(${REJECTED_ROW}) ELSE ${lakePartitionSql(schema)} END`;
  const inWindow = windowSql(schema, window);
  return partitionedCopySql(schema, sql`(${staging})`, inWindow ? sql`_bad OR (${inWindow})` : sql`true`, partition, dir);
}

/** The Parquet files a staging folder holds for its partitions (relative `date=…/part_0.parquet`). */
export async function writtenFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const part of await readdir(dir)) {
    if (part.startsWith('date=')) for (const file of await readdir(join(dir, part))) if (file.endsWith('.parquet')) out.push(join(part, file));
  }
  return out;
}

/** The rows of the written files, as one DuckDB table expression. */
export function writtenRowsSql(dir: string, files: readonly string[]): Sql {
  return sql`read_parquet(${fileListLiteral(files.map((f) => join(dir, f)))}, hive_partitioning = false)`;
}

// The bitmaps' bits in all at most 512 MiB; larger spans count distinct values by hash.
const MAX_BITMAP_BITS = 2 ** 32;

/**
 * What the written rows' stats count per key instead of count(DISTINCT ts): the distinct
 * `bucketUs` slots their timestamps fall in, one bitmap per key (much cheaper than a hash table).
 * Equal timestamps share a slot, so a key with as many slots as rows has no duplicate; fewer
 * (a duplicate, or two bars in one slot) sends the batch the general way, which counts exactly.
 */
export async function distinctSlotsSql(session: DuckDbSession, schema: DatasetSchema, rows: Sql, bucketUs: number | null): Promise<Sql> {
  const ts = ident(schema.timestampColumn);
  const exact = sql`count(DISTINCT ${ts})`;
  if (!bucketUs) return exact;
  const slot = sql`epoch_us(${ts}) // ${raw(String(Math.round(bucketUs)))}`;
  const span = await session.one<{ lo: number | null; hi: number | null; n: number }>(sql`SELECT min(${slot}) AS lo, max(${slot}) AS hi, count(*) AS n FROM ${rows}`);
  if (!span || span.lo === null || span.hi === null) return exact;
  // One bitmap of the whole span per key, and there are at most as many keys as rows.
  if ((span.hi - span.lo + 1) * span.n > MAX_BITMAP_BITS) return exact;
  return sql`bit_count(bitstring_agg(${slot}, ${raw(String(span.lo))}, ${raw(String(span.hi))}))`;
}
