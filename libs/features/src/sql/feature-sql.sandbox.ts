import { typeFamily, type DatasetSchema } from '../datasets/dataset.schema';
import { AVAILABLE_AT } from '../definitions/feature-definition';
import { DuckDbClient, type DuckDbSession } from '../duckdb/duckdb.client';
import type { EngineSettings } from '../duckdb/duckdb.engine';
import { FeatureSqlRejectedError } from '../errors/feature-store.error';
import { setSessionConstant } from './session-constant';
import { ident, joinSql, raw, sql, Sql } from './sql';

// Table functions and scalar functions that reach outside the query, rejected by name so the
// author gets a clear message; the locked engine would refuse them anyway.
const FORBIDDEN_FUNCTIONS = /^(read_\w+|parquet_\w+|glob|query|query_table|sniff_csv|duckdb_\w+|pragma_\w+|getenv|getvariable|current_setting|which_secret|iceberg_\w+|delta_\w+|sqlite_\w+|postgres_\w+|mysql_\w+|httpfs_\w+|load_\w+|install_\w+)$/i;

/** Where the sandbox may read and write files: the source dataset's lake folder, and outputs. */
export interface SandboxPaths {
  readonly readable: readonly string[];
  readonly writable: readonly string[];
}

/** What a view's SQL may do beyond the defaults. */
export interface FeatureSqlOptions {
  /** A label view may read rows after the current one (`lead`, frames ending `FOLLOWING`); a feature view may not. */
  readonly lookAhead?: boolean;
}

/**
 * Static checks of a view's SQL: one statement, a SELECT, reading only `source` (and its own
 * CTEs), no table functions, no file or settings functions, no parameters, and (unless
 * `lookAhead`) no window that reads later rows. Parsing uses DuckDB's own parser
 * (json_serialize_sql), which does not execute anything.
 */
export async function checkFeatureSql(session: DuckDbSession, featureSql: string, options: FeatureSqlOptions = {}): Promise<void> {
  if (featureSql.includes('\0')) throw new FeatureSqlRejectedError('sql: contains a NUL byte', { field: 'sql' });
  const statements = await session.statementCount(featureSql).catch((error: Error) => {
    throw new FeatureSqlRejectedError(`sql: does not parse: ${firstLine(error.message)}`, { field: 'sql' });
  });
  if (statements !== 1) throw new FeatureSqlRejectedError(`sql: must be exactly one SELECT statement, found ${statements}`, { field: 'sql' });
  const row = await session.one<{ ast: string }>(sql`SELECT json_serialize_sql(${featureSql}::VARCHAR) AS ast`);
  const ast = JSON.parse(row?.ast ?? '{}') as { error?: boolean; error_message?: string; statements?: unknown[] };
  if (ast.error) {
    throw new FeatureSqlRejectedError(`sql: only a read-only SELECT is allowed (${ast.error_message ?? 'not a SELECT'})`, { field: 'sql' });
  }
  const ctes = new Set<string>();
  collect(ast.statements, (node) => {
    const map = node.cte_map as { map?: Array<{ key?: string }> } | undefined;
    for (const entry of map?.map ?? []) if (entry.key) ctes.add(entry.key.toLowerCase());
  });
  collect(ast.statements, (node) => {
    if (node.type === 'BASE_TABLE') {
      const table = String(node.table_name ?? '').toLowerCase();
      if (node.schema_name || node.catalog_name || (table !== 'source' && !ctes.has(table))) {
        throw new FeatureSqlRejectedError(`sql: may only read from "source" (the view's dataset), not ${JSON.stringify([node.catalog_name, node.schema_name, node.table_name].filter(Boolean).join('.'))}`, {
          field: 'sql',
        });
      }
    }
    if (node.type === 'TABLE_FUNCTION') {
      const fn = (node.function as { function_name?: string } | undefined)?.function_name ?? 'a table function';
      throw new FeatureSqlRejectedError(`sql: table functions are not allowed (${fn}); read from "source"`, { field: 'sql' });
    }
    if (node.class === 'FUNCTION' && typeof node.function_name === 'string' && FORBIDDEN_FUNCTIONS.test(node.function_name)) {
      throw new FeatureSqlRejectedError(`sql: function ${node.function_name} is not allowed in feature SQL`, { field: 'sql' });
    }
    if (!options.lookAhead && node.class === 'WINDOW') lookAheadCheck(node);
    // Feature SQL is inlined into queries that bind their own values: a `$1` in it would read one of ours.
    if (node.class === 'PARAMETER') {
      const name = typeof node.identifier === 'string' ? node.identifier : '';
      throw new FeatureSqlRejectedError(`sql: parameters ($1, ?, $name) are not allowed in feature SQL${name ? ` (found parameter ${name})` : ''}; write the value itself`, {
        field: 'sql',
      });
    }
  });
}

// A feature is known at its row's time: a window reading later rows (lead, a frame ending after
// the current row) leaks the future into it. Only label views may (kind "label").
function lookAheadCheck(node: Record<string, unknown>): void {
  const fn = typeof node.function_name === 'string' ? node.function_name : 'a window function';
  const reason =
    node.type === 'WINDOW_LEAD'
      ? `${fn} reads later rows`
      : node.type === 'WINDOW_LAG' && !lagsBack(node.offset_expr)
        ? `${fn} with a negative or computed offset may read later rows (write a whole number >= 0)`
        : [node.start, node.end].some((b) => typeof b === 'string' && b.includes('FOLLOWING'))
          ? `the window of ${fn} ends after the current row (FOLLOWING)`
          : null;
  if (reason) throw new FeatureSqlRejectedError(`sql: looks ahead: ${reason}; only a view of "kind": "label" may`, { field: 'sql' });
}

// lag's offset: absent (1) or a literal >= 0 (DuckDB folds `-1` into a constant).
function lagsBack(offset: unknown): boolean {
  if (offset === null || offset === undefined) return true;
  const node = offset as { class?: string; value?: { is_null?: boolean; value?: unknown } };
  return node.class === 'CONSTANT' && node.value?.is_null === false && Number(node.value.value) >= 0;
}

function collect(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, visit);
  } else if (value && typeof value === 'object') {
    visit(value as Record<string, unknown>);
    for (const child of Object.values(value)) collect(child, visit);
  }
}

/**
 * A locked-down DuckDB for running feature SQL: no file access outside the given folders, no
 * extension installs or loads, configuration locked so the SQL cannot undo any of it. `source`
 * is a view over the dataset's current rows.
 */
export class FeatureSqlSandbox {
  private variables = 0;

  private constructor(
    private readonly engine: DuckDbClient,
    readonly session: DuckDbSession,
  ) {}

  /** Opens a sandbox engine confined to `paths`, with the main engine's resource limits. */
  static async open(paths: SandboxPaths, limits: Pick<EngineSettings, 'threads' | 'memoryLimit'> = {}): Promise<FeatureSqlSandbox> {
    const engine = await DuckDbClient.open({ threads: limits.threads, memoryLimit: limits.memoryLimit, confineTo: [...paths.readable, ...paths.writable] });
    try {
      return new FeatureSqlSandbox(engine, await engine.session());
    } catch (error) {
      engine.close();
      throw error;
    }
  }

  /**
   * Defines `source`: the dataset's current rows (latest ingested per keys and timestamp), and
   * `_source_versions`, every stored row, for the store's own bookkeeping (feature SQL cannot
   * name it: only `source` passes the checks). Without `allRowsSql` it is the current rows too
   * (an online refresh: it reads only the latest `ingested_at` up to a time from it).
   */
  async defineSource(schema: DatasetSchema, currentRowsSql: Sql | string | undefined, allRowsSql?: Sql | string): Promise<void> {
    await this.session.run(sql`CREATE OR REPLACE TEMP VIEW source AS ${await this.withoutParameters(relation(currentRowsSql, schema))}`);
    await this.session.run(sql`CREATE OR REPLACE TEMP VIEW _source_versions AS ${await this.withoutParameters(relation(allRowsSql ?? currentRowsSql, schema))}`);
  }

  /**
   * A view cannot hold parameters, so each bound value of `query` becomes a session constant
   * (see setSessionConstant): still bound, and a constant to the planner, so filters on it still
   * prune the lake's date partitions.
   */
  private async withoutParameters(query: Sql): Promise<Sql> {
    const parts: Sql[] = [];
    for (const part of query.parts) {
      if ('text' in part) {
        parts.push(raw(part.text));
        continue;
      }
      parts.push(raw(await setSessionConstant(this.session, `_source_p${++this.variables}`, part.value)));
    }
    return joinSql(parts, '');
  }

  /** Column names and DuckDB types the view's SQL (already accepted by `checkFeatureSql`) yields. */
  async describe(featureSql: string): Promise<Array<{ name: string; type: string }>> {
    try {
      const rows = await this.session.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM (${raw(featureSql)}) AS feature_sql`);
      return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
    } catch (error) {
      throw new FeatureSqlRejectedError(`sql: ${firstLine((error as Error).message)}`, { field: 'sql' });
    }
  }

  /** Closes the session and its engine. */
  close(): void {
    this.session.close();
    this.engine.close();
  }
}

function relation(query: Sql | string | undefined, schema: DatasetSchema): Sql {
  if (query === undefined) return emptyRelation(schema);
  return typeof query === 'string' ? raw(query) : query;
}

function emptyRelation(schema: DatasetSchema): Sql {
  // Column types come from the validated schema (a fixed set of DuckDB type names).
  const columns = [...schema.columns.map((c) => sql`NULL::${raw(c.type)} AS ${ident(c.name)}`), sql`NULL::TIMESTAMPTZ AS ingested_at`];
  return sql`SELECT ${joinSql(columns)} WHERE false`;
}

/** Checks the SQL's output against the declared keys, timestamp and features (names and type families). */
export function checkOutputColumns(
  output: ReadonlyArray<{ name: string; type: string }>,
  expected: { keys: readonly string[]; timestampColumn: string; features: ReadonlyArray<{ name: string; type: string }>; availableAt?: boolean },
): void {
  const byName = new Map(output.map((c) => [c.name, c.type]));
  for (const key of expected.keys) {
    if (!byName.has(key)) throw new FeatureSqlRejectedError(`sql: the output lacks the entity key column ${key}`, { field: 'sql', missing: key });
  }
  const ts = byName.get(expected.timestampColumn);
  if (!ts) throw new FeatureSqlRejectedError(`sql: the output lacks the timestamp column ${expected.timestampColumn}`, { field: 'timestampColumn' });
  if (typeFamily(ts) !== 'time') throw new FeatureSqlRejectedError(`timestampColumn: ${expected.timestampColumn} is ${ts}, not a timestamp`, { field: 'timestampColumn' });
  if (expected.availableAt) {
    // A label view's rows say when their labels became known (null: not yet).
    const at = byName.get(AVAILABLE_AT);
    if (!at) throw new FeatureSqlRejectedError(`sql: a label view's output needs the column ${AVAILABLE_AT} (when the labels became known)`, { field: 'sql', missing: AVAILABLE_AT });
    if (typeFamily(at) !== 'time') throw new FeatureSqlRejectedError(`sql: ${AVAILABLE_AT} is ${at}, not a timestamp`, { field: 'sql' });
  }
  expected.features.forEach((f, i) => {
    const type = byName.get(f.name);
    if (!type) throw new FeatureSqlRejectedError(`features[${i}]: the SQL yields no column ${f.name}`, { field: `features[${i}].name` });
    if (typeFamily(type) !== typeFamily(f.type)) {
      throw new FeatureSqlRejectedError(`features[${i}]: ${f.name} is declared ${f.type} but the SQL yields ${type}`, { field: `features[${i}].type` });
    }
  });
  const declared = new Set([...expected.keys, expected.timestampColumn, ...expected.features.map((f) => f.name), ...(expected.availableAt ? [AVAILABLE_AT] : [])]);
  const extra = output.map((c) => c.name).filter((n) => !declared.has(n));
  if (extra.length) throw new FeatureSqlRejectedError(`features: the SQL yields undeclared columns ${extra.join(', ')}; declare them or drop them`, { field: 'features', extra });
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
