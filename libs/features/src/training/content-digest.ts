import type { DuckDbSession } from '../duckdb/duckdb.client';
import { quoteSourceColumn } from '../sql/identifier';
import { joinSql, raw, sql, type Sql } from '../sql/sql';

/**
 * The content digest of a relation, the same whatever format the set is served in: SHA-256 over
 * the column names and types, the row count and two 64-bit fingerprints of the rows. Each
 * fingerprint XORs DuckDB's hash of every row with its position (`order`) under one seed, so it
 * changes with any value and with the order, and is computed in parallel without a sort or any
 * text formatting (1M x 13 columns: 0.15 s; MD5s of JSON rows in row order took 1.9 s). The same
 * data gives the same digest with the same DuckDB version. The position is hashed last as well:
 * DuckDB's multi-argument hash mixes every argument but the last, which it only XORs in, so a
 * last value column would otherwise cancel out across rows (swapped values, paired changes).
 */
export async function contentDigest(s: DuckDbSession, relation: Sql, order: string, exclude: readonly string[] = []): Promise<string> {
  const columns = (await s.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM ${relation}`)).filter((c) => !exclude.includes(c.column_name));
  const header = JSON.stringify(columns.map((c) => [c.column_name, c.column_type]));
  // Column names come from the data (an entity frame's labels may have any name): quoted, not checked.
  const column = (name: string) => raw(quoteSourceColumn(name));
  const values = joinSql([column(order), ...columns.map((c) => column(c.column_name)), column(order)]);
  // The seed stays a literal: a bound parameter may get another type, and so another hash.
  const fingerprint = (seed: '1' | '2') => sql`coalesce(CAST(bit_xor(hash(${raw(seed)}, ${values})) AS VARCHAR), '0')`;
  const row = await s.one<{ d: string }>(sql`SELECT sha256(${header} || ':' || count(*) || ':' || ${fingerprint('1')} || ':' || ${fingerprint('2')}) AS d FROM ${relation}`);
  return row!.d;
}
