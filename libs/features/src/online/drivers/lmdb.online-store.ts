import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import { isOlderThan, onlineKey, type OnlineRow, type OnlineStoreDriver, type OnlineTable } from '../online-store.driver';

/**
 * Online store in its own LMDB environment (DATA_DIR/online): memory-mapped reads, writers
 * serialised across processes, so the API, the materialiser and the stream worker can share it.
 * A row is one LMDB value, so readers see either the old row or the new one.
 */
export class LmdbOnlineStore implements OnlineStoreDriver {
  readonly name = 'lmdb';

  private constructor(private readonly db: RootDatabase) {}

  static open(path: string): LmdbOnlineStore {
    mkdirSync(path, { recursive: true });
    // Shared msgpack structures: a row's field layout is stored once, not decoded per read.
    return new LmdbOnlineStore(open({ path, compression: false, sharedStructuresKey: Symbol.for('online-structures') }));
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
      return written;
    });
  }

  async read(tables: readonly OnlineTable[], keys: ReadonlyArray<readonly string[]>): Promise<Array<Array<OnlineRow | undefined>>> {
    return tables.map((t) => keys.map((k) => this.db.get(onlineKey(t.view, t.version, k)) as OnlineRow | undefined));
  }

  async ping(): Promise<void> {
    this.db.get('\u0000ping');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
