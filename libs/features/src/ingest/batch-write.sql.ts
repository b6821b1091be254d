import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { granularityOf, type DatasetSchema } from '../datasets/dataset.schema';
import { partitionValueSql } from '../lake/partitioning';
import { fileListLiteral, fileLiteral, ident, joinSql, sql, type Sql } from '../sql/sql';
import { lakeColumns, utcWallTime } from './staging.sql';

/**
 * The partition folder the direct write puts rejected rows in. It is never committed: its mere
 * presence tells that the batch has rejected rows, which then goes the general way (errors,
 * quarantine) instead.
 */
export const REJECTED_PARTITION = '__rejected';

/** The rows a batch keeps: valid, and inside the request's time window. */
export function keepSql(schema: DatasetSchema, window: { readonly keepAfter?: Date; readonly keepUntil?: Date }): Sql {
  const ts = ident(schema.timestampColumn);
  return joinSql(
    [
      sql`_error IS NULL`,
      ...(window.keepAfter ? [sql`${ts} > ${window.keepAfter}`] : []),
      ...(window.keepUntil ? [sql`${ts} <= ${window.keepUntil}`] : []),
    ],
    ' AND ',
  );
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
 * pass over the source. Kept rows go to their partitions, rejected rows to REJECTED_PARTITION.
 */
export function directCopySql(schema: DatasetSchema, staging: Sql, keep: Sql, dir: string): Sql {
  const partition = sql`CASE WHEN _error IS NULL THEN ${lakePartitionSql(schema)} ELSE ${REJECTED_PARTITION} END`;
  return partitionedCopySql(schema, sql`(${staging})`, sql`_error IS NOT NULL OR (${keep})`, partition, dir);
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
