/** One entity's latest feature row of one view version. */
export interface OnlineRow {
  /** Join key values in the entity's key order. */
  readonly key: readonly string[];
  readonly eventTs: string;
  readonly createdTs: string;
  readonly values: Readonly<Record<string, number | boolean | string | null>>;
}

/**
 * The online store: the latest row per (view version, entity key). Writers never replace a row
 * with one of an older event time, so a late or replayed write cannot roll a value back.
 * Drivers: `lmdb` (embedded, default), later `redis`.
 */
export interface OnlineStoreDriver {
  readonly name: string;
  /** Writes rows whose event time is newer than what is stored; returns how many were written. */
  putLatest(view: string, version: number, rows: readonly OnlineRow[]): Promise<number>;
  /** Reads rows for keys, in order; undefined where a key has no row. */
  get(view: string, version: number, keys: ReadonlyArray<readonly string[]>): Promise<Array<OnlineRow | undefined>>;
  close(): Promise<void>;
}
