/** A key awaiting an online refresh: from when, and a count of additions (see clearPendingRefresh). */
export interface PendingEntry {
  readonly since: string;
  readonly n: number;
}

/** Keys whose online values still need a refresh. */
export type PendingRefresh = Readonly<Record<string, PendingEntry>>;

/**
 * Where ingestion stands: watermarks (the last offset a stream wrote per partition, the newest
 * bar a provider returned) and the durable sets of keys awaiting an online refresh.
 *
 * Atomic (one transaction each, safe against other processes): `setWatermarks` (every mark of
 * the call or none), `addPendingRefresh` (every key of the call: read, merge, write),
 * `clearPendingRefresh` (every key of the call: compare `n`, remove).
 */
export interface StreamCheckpointRepository {
  getWatermark(key: string): Promise<string | undefined>;
  setWatermark(key: string, value: string): Promise<void>;
  setWatermarks(marks: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Adds keys to the durable set `name`, each with the time from which it needs a refresh: a
   * key's `since` becomes the earlier of the two times, its `n` goes up. Returns those keys'
   * entries. Throws InvalidArgumentError, writing nothing, when a `since` is not an ISO-8601
   * time inside SANE_TIME_RANGE (a refresh from it could never run).
   */
  addPendingRefresh(name: string, sinceByKey: Readonly<Record<string, string>>): Promise<PendingRefresh>;
  getPendingRefresh(name: string): Promise<PendingRefresh>;
  /** Removes the keys refreshed, unless they were added again since `done` was read (their `n` moved on). */
  clearPendingRefresh(name: string, done: PendingRefresh): Promise<void>;
}
