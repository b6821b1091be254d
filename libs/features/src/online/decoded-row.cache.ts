import type { OnlineRow } from './online-store.driver';

/**
 * The rows an online store driver decoded, each kept with the stored bytes it came from. While a
 * row's stored form is unchanged the driver hands back the same object: the row is decoded once,
 * and what the answer formats derive from it (its values as JSON text) can be cached per object.
 * A changed stored form is a miss, so a reader never gets a row other than the one stored now.
 */
export class DecodedRowCache<Raw extends string | Buffer> {
  private readonly entries = new Map<string, { readonly raw: Raw; readonly row: OnlineRow }>();

  /** `limit`: entries kept before the cache starts over (about 1 KiB each). */
  constructor(private readonly limit = 250_000) {}

  /**
   * The row decoded earlier from exactly `raw` under `key`, if any. A buffer is compared over its
   * `length` (lmdb's reused read buffer has a `length` shorter than its memory).
   */
  get(key: string, raw: Raw): OnlineRow | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (typeof raw === 'string') return entry.raw === raw ? entry.row : undefined;
    const kept = entry.raw as Buffer;
    return kept.length === raw.length && raw.compare(kept, 0, kept.length, 0, raw.length) === 0 ? entry.row : undefined;
  }

  /** Remembers `row` as decoded from `raw` (which the cache keeps: pass a buffer nobody reuses). */
  set(key: string, raw: Raw, row: OnlineRow): void {
    if (this.entries.size >= this.limit && !this.entries.has(key)) this.entries.clear();
    // Shared by every request that reads the key from now on: nobody may change it.
    Object.freeze(row.values);
    Object.freeze(row);
    this.entries.set(key, { raw, row });
  }
}
