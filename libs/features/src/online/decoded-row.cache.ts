import type { OnlineRow } from './online-store.driver';

/** A row as a driver decoded it, with the stored bytes it came from. */
export interface DecodedRow<Raw extends string | Buffer> {
  /** The stored form; null: the key had no row. */
  readonly raw: Raw | null;
  readonly row: OnlineRow | undefined;
  /** The store's version the entry was last found current at (LMDB: its last transaction id); -1: none. */
  stamp: number;
}

/**
 * The rows an online store driver decoded, each kept with the stored bytes it came from. While a
 * row's stored form is unchanged the driver hands back the same object: the row is decoded once,
 * and what the answer formats derive from it (its values as JSON text) can be cached per object.
 * A changed stored form is a miss, so a reader never gets a row other than the one stored now.
 */
export class DecodedRowCache<Raw extends string | Buffer> {
  private readonly entries = new Map<string, DecodedRow<Raw>>();

  /**
   * `limit`: entries kept before the cache starts over (about 1 KiB each with what the answer
   * formats cache per row; the LMDB driver keeps one cache per view version).
   */
  constructor(private readonly limit = 100_000) {}

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
  }

  /** The entry of `key`, as last found. */
  entry(key: string): DecodedRow<Raw> | undefined {
    return this.entries.get(key);
  }

  /**
   * The row decoded earlier from exactly `raw` under `key`, if any.
   */
  get(key: string, raw: Raw): DecodedRow<Raw> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.raw === null) return undefined;
    if (typeof raw === 'string') return entry.raw === raw ? entry : undefined;
    return sameBytes(entry.raw as Buffer, raw as Buffer) ? entry : undefined;
  }

  /**
   * Remembers `row` as decoded from `raw` (which the cache keeps: pass a buffer nobody reuses),
   * or (raw null) that `key` has no row, as found at `stamp`.
   */
  set(key: string, raw: Raw | null, row: OnlineRow | undefined, stamp = -1): void {
    if (this.entries.size >= this.limit && !this.entries.has(key)) this.entries.clear();
    if (row !== undefined) {
      // Shared by every request that reads the key from now on: nobody may change it.
      Object.freeze(row.values);
      Object.freeze(row);
    }
    this.entries.set(key, { raw, row, stamp });
  }
}

/**
 * Byte equality over `length` (lmdb's reused read buffer has a `length` shorter than its memory,
 * which Buffer.equals does not honour). A plain loop: rows are a few hundred bytes, and a native
 * compare costs more in argument checks than the loop does.
 */
function sameBytes(kept: Buffer, raw: Buffer): boolean {
  const length = kept.length;
  if (raw.length !== length) return false;
  for (let i = 0; i < length; i++) if (kept[i] !== raw[i]) return false;
  return true;
}
