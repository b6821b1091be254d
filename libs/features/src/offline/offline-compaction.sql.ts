import type { DuckDbSession } from '../duckdb/duckdb.client';
import { fileListLiteral, fileLiteral, ident, joinSql, raw, sql } from '../sql/sql';

// DuckDB's default row group, and the smallest it writes (a vector): a file of about `rows` rows
// is made of row groups of min(rows, default) rows, at least a vector's.
const ROW_GROUP_ROWS = 122_880;
const VECTOR_ROWS = 2048;

/**
 * Each file's Parquet schema as one string (column names, types and logical types, in order).
 * Only files of one schema are merged: readers read a version's files by position, and a label
 * version's old files lack a column that readers then stand in for per file (label-known.sql.ts).
 */
export async function schemaSignatures(session: DuckDbSession, files: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string[]>();
  if (files.length === 0) return new Map();
  // A plain scan keeps the footers' order (DuckDB preserves insertion order).
  const rows = await session.all<{ f: string; name: string; type: string | null; logical: string | null }>(
    sql`SELECT file_name AS f, name, type, CAST(logical_type AS VARCHAR) AS logical FROM parquet_schema(${fileListLiteral(files)})`,
  );
  for (const r of rows) {
    const list = out.get(r.f) ?? [];
    list.push(`${r.name}:${r.type ?? ''}:${r.logical ?? ''}`);
    out.set(r.f, list);
  }
  return new Map([...out].map(([f, cols]) => [f, cols.join(',')]));
}

/**
 * Writes every row of `inputs` into `dir` as files of about the target size (`part_0.parquet`,
 * …), sorted by the keys, event_ts and created_ts (a key's rows then sit in few row groups).
 * Every row is kept as it is, created_ts included. Returns the rows written.
 */
export async function writeMergedParts(
  session: DuckDbSession,
  keys: readonly string[],
  inputs: readonly string[],
  dir: string,
  target: { readonly bytes: number; readonly rows: number },
): Promise<number> {
  const order = joinSql([...keys, 'event_ts', 'created_ts'].map((c) => ident(c)));
  const groupRows = Math.min(ROW_GROUP_ROWS, Math.max(VECTOR_ROWS, Math.floor(target.rows)));
  const groups = Math.max(1, Math.ceil(target.rows / groupRows));
  const row = await session.one<{ Count: number | bigint }>(
    sql`COPY (SELECT * FROM read_parquet(${fileListLiteral(inputs)}) ORDER BY ${order})
      TO ${fileLiteral(dir)} (FORMAT parquet, FILE_SIZE_BYTES ${raw(String(Math.floor(target.bytes)))}, ROW_GROUP_SIZE ${raw(String(groupRows))}, ROW_GROUPS_PER_FILE ${raw(String(groups))}, FILENAME_PATTERN 'part_{i}')`,
  );
  return Number(row?.Count ?? 0);
}
