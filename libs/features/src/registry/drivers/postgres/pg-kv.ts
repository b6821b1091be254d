import type { PgQueryable } from './pg.pool';

/** The registry's tables, one per aggregate (created by pg.migrations.ts). */
export type PgTable =
  | 'registry_datasets'
  | 'registry_definitions'
  | 'registry_materializations'
  | 'registry_training_sets'
  | 'registry_runs'
  | 'registry_jobs'
  | 'registry_streams'
  | 'registry_meta'
  | 'registry_audit'
  | 'registry_monitors';

/**
 * One aggregate's records in its table: `key text COLLATE "C"` (byte order, as LMDB orders its
 * keys) and `value json` (the text as written, keys in their order, as LMDB hands it back). The
 * keys are the LMDB driver's own, so export/import moves records unchanged and a prefix is an
 * index range. The table name is a constant of the code, never input.
 */
export class PgKv {
  constructor(readonly table: PgTable) {}

  /** The record under `key`, if any. */
  async get<T>(q: PgQueryable, key: string): Promise<T | undefined> {
    const rows = await q.query<{ value: T }>(`SELECT value FROM ${this.table} WHERE key = $1`, [key]);
    return rows[0]?.value;
  }

  /** Reads the record and locks its row until the transaction ends (nothing when there is none). */
  async getForUpdate<T>(q: PgQueryable, key: string): Promise<T | undefined> {
    const rows = await q.query<{ value: T }>(`SELECT value FROM ${this.table} WHERE key = $1 FOR UPDATE`, [key]);
    return rows[0]?.value;
  }

  /** Writes the record under `key`, replacing one that is there. */
  async put(q: PgQueryable, key: string, value: unknown): Promise<void> {
    await q.query(`INSERT INTO ${this.table} (key, value) VALUES ($1, $2::json) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [key, JSON.stringify(value)]);
  }

  /** Inserts unless the key exists; true when it inserted. */
  async insertIfAbsent(q: PgQueryable, key: string, value: unknown): Promise<boolean> {
    const rows = await q.query(`INSERT INTO ${this.table} (key, value) VALUES ($1, $2::json) ON CONFLICT (key) DO NOTHING RETURNING key`, [key, JSON.stringify(value)]);
    return rows.length > 0;
  }

  /** Removes the key; true when there was one. */
  async remove(q: PgQueryable, key: string): Promise<boolean> {
    return (await q.query(`DELETE FROM ${this.table} WHERE key = $1 RETURNING key`, [key])).length > 0;
  }

  /**
   * Adds 1 to the number under `key` (0 before) in one statement and returns the new value: the
   * row stays locked until commit, so concurrent callers get distinct, gapless, ordered numbers.
   */
  async increment(q: PgQueryable, key: string): Promise<number> {
    const rows = await q.query<{ n: string }>(
      `INSERT INTO ${this.table} AS t (key, value) VALUES ($1, '1'::json) ON CONFLICT (key) DO UPDATE SET value = to_json((t.value::text)::bigint + 1) RETURNING (value::text) AS n`,
      [key],
    );
    return Number(rows[0].n);
  }

  /** Records whose key starts with `prefix`, in key order (or reversed), from `start` on, at most `limit`. */
  async range<T>(q: PgQueryable, prefix: string, options: { start?: string; reverse?: boolean; limit?: number } = {}): Promise<Array<{ key: string; value: T }>> {
    const order = options.reverse ? 'DESC' : 'ASC';
    const limit = options.limit === undefined ? '' : ' LIMIT $4';
    const values: unknown[] = [prefix, prefixEnd(prefix), options.start ?? prefix];
    if (options.limit !== undefined) values.push(options.limit);
    return q.query<{ key: string; value: T }>(`SELECT key, value FROM ${this.table} WHERE key >= $1 AND key < $2 AND key >= $3 ORDER BY key ${order}${limit}`, values);
  }

  /** The values of `range(prefix)`. */
  async rangeValues<T>(q: PgQueryable, prefix: string): Promise<T[]> {
    return (await this.range<T>(q, prefix)).map((r) => r.value);
  }
}

/**
 * The first string after every string that starts with `prefix` (its last character plus one):
 * `key >= prefix AND key < prefixEnd(prefix)` is exactly the prefix's keys, as an index range.
 */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u{10ffff}';
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
