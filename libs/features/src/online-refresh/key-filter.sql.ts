import type { DatasetSchema } from '../datasets/dataset.schema';
import { ident, raw, sql, type Sql } from '../sql/sql';

/**
 * The rows of these instruments (the dataset's first key names the instrument). The values are
 * bound as one list cast to the key column's type, so a key of another type than VARCHAR compares
 * as its literal would; `list_contains` of a bound list reaches the Parquet scan as a filter, as a
 * literal IN list does (`= ANY(…)` is planned as a join).
 */
export function keyIn(schema: DatasetSchema, values: readonly string[]): Sql {
  // An empty list has no element type to bind with.
  if (values.length === 0) return sql`FALSE`;
  const key = schema.keys[0];
  // Column types come from the dataset schema's enum of DuckDB type names.
  const type = schema.columns.find((c) => c.name === key)?.type ?? 'VARCHAR';
  return sql`list_contains(CAST(${values} AS ${raw(type)}[]), ${ident(key)})`;
}
