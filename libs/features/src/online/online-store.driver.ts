/** One entity's latest feature row of one view version. */
export interface OnlineRow {
  /** Join key values in the entity's key order. */
  readonly key: readonly string[];
  readonly eventTs: string;
  readonly createdTs: string;
  readonly values: Readonly<Record<string, number | boolean | string | null>>;
}

/** A view version to read from the online store. */
export interface OnlineTable {
  readonly view: string;
  readonly version: number;
}

/**
 * The online store: the latest row per (view version, entity key). Writers never replace a row
 * with one of an older event time (ties: the newer created time wins), so a late or replayed
 * write cannot roll a value back; a row is written whole, so a reader never sees half of one.
 * Drivers: `lmdb` (embedded, default) and `redis`.
 */
export interface OnlineStoreDriver {
  /** `lmdb` or `redis`, as reported by /health and /metrics. */
  readonly name: string;
  /** Writes rows whose event time is newer than what is stored; returns how many were written. */
  putLatest(view: string, version: number, rows: readonly OnlineRow[]): Promise<number>;
  /**
   * Reads the rows of every key from every table in one round trip: result[t][k] is table t's
   * row for keys[k], undefined where there is none. Throws OnlineStoreUnavailableError when the
   * store cannot answer.
   */
  read(tables: readonly OnlineTable[], keys: ReadonlyArray<readonly string[]>): Promise<Array<Array<OnlineRow | undefined>>>;
  /** Resolves when the store answers, throws with the reason otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** True when `candidate` must not replace `stored`: it is older (event time, then created time). */
export function isOlderThan(candidate: OnlineRow, stored: OnlineRow): boolean {
  // Compared as instants: ISO strings with and without fractions do not sort as text.
  const ce = Date.parse(candidate.eventTs);
  const se = Date.parse(stored.eventTs);
  return ce < se || (ce === se && Date.parse(candidate.createdTs) < Date.parse(stored.createdTs));
}

/** The store key of one entity's row in one view version. */
export function onlineKey(view: string, version: number, key: readonly string[]): string {
  return onlineKeyPrefix(view, version) + onlineKeyText(key);
}

/** The view version's part of its store keys. */
export function onlineKeyPrefix(view: string, version: number): string {
  return `${view}\u0000${version}\u0000`;
}

/** The entity's part of its store keys. */
export function onlineKeyText(key: readonly string[]): string {
  return JSON.stringify(key);
}
