import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import { DecodedRowCache } from '../decoded-row.cache';
import { isOlderThan, onlineKey, onlineKeyPrefix, onlineKeyText, type OnlineRow, type OnlineStoreDriver, type OnlineTable } from '../online-store.driver';

/** The store's generation: moved on by every write, in the same transaction (see read). */
const GENERATION = '\u0000generation';

/**
 * Online store in its own LMDB environment (DATA_DIR/online): memory-mapped reads, writers
 * serialised across processes, so the API, the materialiser and the stream worker can share it.
 * A row is one LMDB value, so readers see either the old row or the new one.
 */
export class LmdbOnlineStore implements OnlineStoreDriver {
  readonly name = 'lmdb';

  /** Per view version (`view\0version\0`), by key text: the key's text is hashed once per lookup, not once per view. */
  private readonly decoded = new Map<string, DecodedRowCache<Buffer>>();
  private readonly decoder: { decode(bytes: Buffer): unknown };

  private constructor(private readonly db: RootDatabase) {
    // lmdb's own get() is getBinary() and then this decoder; reading the bytes first lets an
    // unchanged row be recognised and handed back without decoding it again.
    this.decoder = (db as unknown as { decoder: { decode(bytes: Buffer): unknown } }).decoder;
  }

  static open(path: string): LmdbOnlineStore {
    mkdirSync(path, { recursive: true });
    // Shared msgpack structures: a row's field layout is stored once, not decoded per read.
    const db = open({ path, compression: false, sharedStructuresKey: Symbol.for('online-structures') });
    // A store written before it kept a generation gets one, so its lookups can skip reads too.
    db.transactionSync(() => {
      if (db.get(GENERATION) === undefined) db.putSync(GENERATION, Date.now() * 1000);
    });
    return new LmdbOnlineStore(db);
  }

  async putLatest(view: string, version: number, rows: readonly OnlineRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.db.transactionSync(() => {
      let written = 0;
      for (const row of rows) {
        const key = onlineKey(view, version, row.key);
        const current = this.db.get(key) as OnlineRow | undefined;
        if (current && isOlderThan(row, current)) continue;
        this.db.putSync(key, row);
        written++;
      }
      // In the same transaction as the rows: a snapshot's generation says which rows it holds.
      // A missing one starts from the clock (µs), so it never repeats one readers have seen.
      if (written > 0) this.db.putSync(GENERATION, Math.max(((this.db.get(GENERATION) as number | undefined) ?? 0) + 1, Date.now() * 1000));
      return written;
    });
  }

  /**
   * Reads every key in one read snapshot (lmdb renews a handle's snapshot once per event-loop
   * turn). Every write moves the store's generation on in the same transaction, so an entry found
   * current at the generation this snapshot holds is still what it holds: while nothing has been
   * written, a lookup reads the generation and no row.
   */
  async read(tables: readonly OnlineTable[], keys: ReadonlyArray<readonly string[]>): Promise<Array<Array<OnlineRow | undefined>>> {
    const generation = this.db.get(GENERATION) as number | undefined;
    const stamp = typeof generation === 'number' ? generation : -1;
    const keyTexts = keys.map(onlineKeyText);
    return tables.map((t) => {
      const prefix = onlineKeyPrefix(t.view, t.version);
      let cache = this.decoded.get(prefix);
      if (cache === undefined) this.decoded.set(prefix, (cache = new DecodedRowCache()));
      const rows = new Array<OnlineRow | undefined>(keyTexts.length);
      for (let k = 0; k < keyTexts.length; k++) rows[k] = this.readRow(cache, prefix, keyTexts[k], stamp);
      return rows;
    });
  }

  private readRow(cache: DecodedRowCache<Buffer>, prefix: string, keyText: string, stamp: number): OnlineRow | undefined {
    const known = cache.atStamp(keyText, stamp);
    if (known !== undefined) return known.row;
    const key = prefix + keyText;
    // getBinaryFast hands back lmdb's own reused buffer (its `length` set to the value's size),
    // so an unchanged row costs no allocation; a changed one is read again as a copy of its own
    // (same snapshot, same bytes) and decoded.
    return cache.found(keyText, this.db.getBinaryFast(key) ?? null, stamp, () => {
      const bytes = this.db.getBinary(key)!;
      return { raw: bytes, row: this.decoder.decode(bytes) as OnlineRow };
    });
  }

  async ping(): Promise<void> {
    this.db.get('\u0000ping');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
