import type { DuckDbSession } from '../duckdb/duckdb.client';
import { assertIdentifier } from './identifier';
import { raw, sql, type Sql, type SqlValue } from './sql';

/**
 * Binds a value to a session variable and returns the `getvariable(…)` expression that reads it.
 * For values a filter needs as a constant: DuckDB folds the variable into the statement when it
 * binds one, so a filter on it reaches the Parquet scan (and passes below a window) as a literal
 * would. A statement parameter does not: it stays a per-row expression (a lake refresh took 10%
 * more CPU), a semi-join on a table of the values kept the window from being pruned (7x slower),
 * and the text of a view (`source` in a sandbox) cannot hold a parameter at all.
 */
export async function setSessionConstant(session: DuckDbSession, name: string, value: SqlValue | Sql): Promise<string> {
  assertIdentifier(name, 'variable');
  await session.run(sql`SET VARIABLE ${raw(name)} = ${value}`);
  return `getvariable('${name}')`;
}
