import type { DatasetSchema } from '../datasets/dataset.schema';
import type { DuckDbSession } from '../duckdb/duckdb.client';
import { setSessionConstant } from '../sql/session-constant';
import { ident, joinSql, raw, sql, type Sql } from '../sql/sql';

/**
 * Binds a list of instruments (values of the dataset's first key) in `session` under `name`, and
 * returns the filter that keeps their rows. The list is cast to the key column's type, so a key
 * of another type than VARCHAR compares as its literal would.
 */
export async function instrumentFilter(session: DuckDbSession, schema: DatasetSchema, values: readonly string[], name: string): Promise<Sql> {
  // An empty list has no element type to bind with.
  if (values.length === 0) return sql`FALSE`;
  const key = schema.keys[0];
  // Column types come from the dataset schema's enum of DuckDB type names.
  const type = schema.columns.find((c) => c.name === key)?.type ?? 'VARCHAR';
  const list = await setSessionConstant(session, name, sql`CAST(${values} AS ${raw(type)}[])`);
  // An IN list of the elements folds to the plan of a literal IN list (list_contains over the
  // whole list was a few percent slower on a lake read).
  return sql`${ident(key)} IN (${joinSql(values.map((_, i) => raw(`${list}[${i + 1}]`)))})`;
}
