import type { OnlineRow } from './online-store.driver';

/** A row as a driver decoded it, with the stored bytes it came from. */
export interface DecodedRow<Raw extends string | Buffer> {
  /** The stored form; null: the key had no row. */
  readonly raw: Raw | null;
  readonly row: OnlineRow | undefined;
  /** The store's generation the entry was last found current at; -1: none. */
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

  /** The entry of `key` when it was found current at `stamp` (so it still is); else undefined. */
  atStamp(key: string, stamp: number): DecodedRow<Raw> | undefined {
    const entry = this.entries.get(key);
    return stamp >= 0 && entry !== undefined && entry.stamp === stamp ? entry : undefined;
  }

  /**
   * The row stored under `key` as `raw` (null: no row), found at `stamp`: the object decoded
   * before while `raw` is unchanged, else the row `decode` gives (with the stored form to keep:
   * a buffer nobody reuses), remembered from now on.
   */
  found(key: string, raw: Raw | null, stamp: number, decode: () => { raw: Raw; row: OnlineRow }): OnlineRow | undefined {
    if (raw === null) {
      this.set(key, null, undefined, stamp);
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.raw !== null && sameForm(entry.raw, raw)) {
      entry.stamp = stamp;
      return entry.row;
    }
    const fresh = decode();
    this.set(key, fresh.raw, fresh.row, stamp);
    return fresh.row;
  }

  private set(key: string, raw: Raw | null, row: OnlineRow | undefined, stamp: number): void {
    if (this.entries.size >= this.limit && !this.entries.has(key)) this.entries.clear();
    if (row !== undefined) {
      // Shared by every request that reads the key from now on: nobody may change it.
      Object.freeze(row.values);
      Object.freeze(row);
    }
    this.entries.set(key, { raw, row, stamp });
  }
}

function sameForm<Raw extends string | Buffer>(kept: Raw, raw: Raw): boolean {
  return typeof raw === 'string' ? kept === raw : sameBytes(kept as Buffer, raw as Buffer);
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
