import type { DuckDBConnection, DuckDBInstance, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import type { Sql } from '../sql/sql';
import { openEngine, type EngineSettings } from './duckdb.engine';

/** A JSON-safe row as read back from DuckDB. */
export type SqlRow = Record<string, unknown>;

/** Progress of the statement running on a connection, as DuckDB reports it. */
export interface QueryProgress {
  readonly percentage: number;
  readonly rowsProcessed: number;
}

/** One in-process DuckDB engine, set up by `openEngine`; hands out sessions. All times are UTC. */
export class DuckDbClient {
  private constructor(private readonly instance: DuckDBInstance) {}

  /** Opens an engine with the given settings (resource limits; `confineTo` for a sandbox). */
  static async open(settings: EngineSettings = {}): Promise<DuckDbClient> {
    return new DuckDbClient(await openEngine(settings));
  }

  /** A new session on this database; the caller closes it. */
  async session(): Promise<DuckDbSession> {
    return new DuckDbSession(await this.instance.connect());
  }

  /** Runs `work` on a fresh session and always closes it. */
  async withSession<T>(work: (session: DuckDbSession) => Promise<T>): Promise<T> {
    const session = await this.session();
    try {
      return await work(session);
    } finally {
      session.close();
    }
  }

  /** Closes the engine; its sessions must be closed already. */
  close(): void {
    this.instance.closeSync();
  }
}

/** One DuckDB connection: temp tables live as long as it does. */
export class DuckDbSession {
  constructor(private readonly connection: DuckDBConnection) {}

  /** Runs a query and hands back DuckDB's own result, to read chunk by chunk (large answers). */
  stream(query: Sql | string): Promise<DuckDBResult> {
    const { text, params } = statement(query);
    return this.connection.stream(text, params);
  }

  /** Executes a statement; returns the number of rows it changed or produced, where DuckDB reports one. */
  async run(query: Sql | string): Promise<number> {
    const { text, params } = statement(query);
    const result = await this.connection.run(text, params);
    const changed = result.rowsChanged;
    return typeof changed === 'number' ? changed : 0;
  }

  /** Runs a query and returns its rows as JSON-safe objects (BIGINT as number, times as ISO text). */
  async all<T extends SqlRow = SqlRow>(query: Sql | string): Promise<T[]> {
    const { text, params } = statement(query);
    const reader = await this.connection.runAndReadAll(text, params);
    const types = reader.columnTypes().map((t) => t.toString());
    const names = reader.columnNames();
    return reader.getRowObjectsJson().map((row) => normaliseRow(row, names, types) as T);
  }

  /**
   * A query's result column by column, for columnar consumers (Arrow): numbers stay numbers,
   * BIGINT stays bigint, timestamps become epoch milliseconds, text stays text; no row objects.
   */
  async columns(query: Sql | string): Promise<{ names: string[]; types: string[]; columns: unknown[][] }> {
    const { text, params } = statement(query);
    const reader = await this.connection.runAndReadAll(text, params);
    const types = reader.columnTypes().map((t) => t.toString());
    const raw = reader.getColumns();
    const columns = raw.map((values, i) => {
      const type = types[i];
      if (type.startsWith('TIMESTAMP')) return values.map((v) => (v === null ? null : Number((v as { micros: bigint }).micros / 1000n)));
      if (type === 'BOOLEAN' || type === 'DOUBLE' || type === 'FLOAT' || type === 'INTEGER' || type === 'BIGINT') return values;
      return values.map((v) => (v === null ? null : String(v)));
    });
    return { names: reader.columnNames(), types, columns };
  }

  /** The first row of a query, or undefined. */
  async one<T extends SqlRow = SqlRow>(query: Sql | string): Promise<T | undefined> {
    return (await this.all<T>(query))[0];
  }

  /** How many statements DuckDB's parser finds in `sql` (nothing is executed). */
  async statementCount(sql: string): Promise<number> {
    return (await this.connection.extractStatements(sql)).count;
  }

  /** How far the statement running on this session has got. */
  get progress(): QueryProgress {
    const p = this.connection.progress;
    return { percentage: p.percentage, rowsProcessed: Number(p.rows_processed) };
  }

  /** Closes the connection; its temp tables go with it. */
  close(): void {
    this.connection.closeSync();
  }
}

// A `sql` fragment carries its own values; a plain string is a fixed statement without any.
function statement(query: Sql | string): { text: string; params: DuckDBValue[] | undefined } {
  if (typeof query === 'string') return { text: query, params: undefined };
  const { text, params } = query.render();
  return { text, params: params.length ? params : undefined };
}

// getRowObjectsJson renders BIGINT as text and times in DuckDB's own format; callers want
// numbers and ISO-8601 with Z.
function normaliseRow(row: Record<string, unknown>, names: readonly string[], types: readonly string[]): SqlRow {
  const out: SqlRow = {};
  names.forEach((name, i) => {
    const value = row[name];
    const type = types[i];
    if (typeof value !== 'string') out[name] = value;
    else if (INTEGER_TYPES.has(type)) out[name] = Number(value);
    else if (type === 'TIMESTAMP WITH TIME ZONE' || type === 'TIMESTAMP') out[name] = toIsoUtc(value);
    else out[name] = value;
  });
  return out;
}

const INTEGER_TYPES = new Set(['BIGINT', 'HUGEINT', 'UBIGINT', 'UHUGEINT']);

/** Converts DuckDB's "2021-04-02 00:00:00.5+00" (or naive) rendering into "2021-04-02T00:00:00.5Z". */
function toIsoUtc(text: string): string {
  const base = text.replace(/\+00(:00)?$/, '').replace(' ', 'T');
  return `${base}Z`;
}
