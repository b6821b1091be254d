import { Client, Pool, type ClientConfig, type PoolClient, type QueryResultRow } from 'pg';
import { DependencyError, ErrorCode, FeatureStoreError } from '../../../errors/feature-store.error';

/** What a repository runs its statements on: the pool (one statement) or a transaction's client. */
export interface PgQueryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

/** Connection settings of the PostgreSQL registry (REGISTRY_URL, REGISTRY_POOL_SIZE, REGISTRY_TIMEOUT_MS). */
export interface PgRegistryOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Connect and statement timeout: past it a call fails with UNAVAILABLE instead of hanging. */
  readonly timeoutMs: number;
}

// SQLSTATE classes and codes that mean "the server cannot serve now", not "the statement is wrong":
// 08 connection exceptions, 57P01-57P03 shutdown / cannot connect now, 57014 statement timeout,
// 53 insufficient resources (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]|57014)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);

/** True when `error` says the server is unreachable, shut down or too slow (not a bad statement). */
export function isUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code))) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended unexpectedly/i.test(message);
}

/**
 * The registry's connection pool: every statement with bound parameters, every error that means
 * "PostgreSQL is not there" turned into UNAVAILABLE naming the registry (the API answers 503), and
 * connect and statement timeouts so that a call never hangs on a dead server.
 */
export class PgPool implements PgQueryable {
  /** host:port/database, for messages (never the password). */
  readonly where: string;
  private readonly pool: Pool;

  constructor(readonly options: PgRegistryOptions) {
    const url = new URL(options.url);
    this.where = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
    this.pool = new Pool({ ...this.clientConfig(), max: options.poolSize, idleTimeoutMillis: 10_000 });
    // An idle client whose server went away emits 'error' on the pool; unhandled, it would end the process.
    this.pool.on('error', () => undefined);
  }

  /** The settings of every connection, also of the dedicated ones (leases, LISTEN). */
  clientConfig(): ClientConfig {
    return {
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.timeoutMs,
      statement_timeout: this.options.timeoutMs,
      query_timeout: this.options.timeoutMs,
      application_name: 'feature-store-registry',
      keepAlive: true,
    };
  }

  /** A connection of its own, outside the pool (a lease's lock or LISTEN must outlive a statement). */
  async dedicatedClient(options: { statementTimeout?: boolean } = {}): Promise<Client> {
    const config = this.clientConfig();
    const client = new Client(options.statementTimeout === false ? { ...config, statement_timeout: undefined, query_timeout: undefined } : config);
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw this.mapped(error);
    }
    return client;
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values as unknown[])).rows;
    } catch (error) {
      throw this.mapped(error);
    }
  }

  /** Runs `work` in one transaction (READ COMMITTED; callers serialise with `lockName` where they read then write). */
  async tx<T>(work: (client: PgQueryable) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.mapped(error);
    }
    const q = queryable(client);
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: a connection lost between two statements
    // would otherwise be an unhandled 'error' event (the process would end). The statement
    // awaited fails as well, so only the client's fate is recorded here.
    const lost = (error: Error) => (broken = error);
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      const result = await work(q);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      if (isUnavailable(error)) broken = error as Error;
      throw this.mapped(error);
    } finally {
      client.removeListener('error', lost);
      client.release(broken);
    }
  }

  /** UNAVAILABLE for a server that is not there; anything else unchanged (a bug shows as one). */
  mapped(error: unknown): unknown {
    if (error instanceof FeatureStoreError || !isUnavailable(error)) return error;
    return new DependencyError(ErrorCode.Unavailable, `registry unavailable: PostgreSQL at ${this.where}: ${(error as Error).message}`, { store: 'registry' });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A single connection as a PgQueryable (a transaction's client, a lease's connection). */
export function queryable(client: Client | PoolClient): PgQueryable {
  return { query: async <R extends QueryResultRow>(text: string, values: readonly unknown[] = []) => (await client.query<R>(text, values as unknown[])).rows };
}

/**
 * Serialises the rest of the transaction with every other one that locks the same name (a
 * transaction-level advisory lock, released at commit): what LMDB's single writer gave the
 * read-then-write calls. Names that hash alike only wait for each other, never corrupt.
 */
export async function lockName(q: PgQueryable, name: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [XACT_LOCK_CLASS, name]);
}

/** Key classes of the two-int advisory locks (the one-bigint migration lock has its own key space). */
export const XACT_LOCK_CLASS = 18_001;
export const LEASE_LOCK_CLASS = 18_002;
