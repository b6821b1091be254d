import type { DuckDbSession } from '../duckdb/duckdb.client';
import { assertIdentifier } from '../sql/identifier';
import { raw, sql, type Sql, type SqlValue } from '../sql/sql';

/**
 * Binds a value for the text of a view (`source` in a sandbox), which DuckDB cannot prepare with
 * parameters: the value goes to a session variable, bound like any other, and the view reads it
 * with the returned `getvariable(…)` expression. DuckDB folds that to a constant when a query
 * binds the view, so a filter on it still reaches the Parquet scan below a window, as a literal
 * would (a semi-join on a table of values does not, and ran several times slower).
 */
export async function setViewParameter(session: DuckDbSession, name: string, value: SqlValue | Sql): Promise<string> {
  assertIdentifier(name, 'variable');
  await session.run(sql`SET VARIABLE ${raw(name)} = ${value}`);
  return `getvariable('${name}')`;
}
