import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import type { OnlineRow, OnlineStoreDriver } from '../online-store.driver';

/**
 * Online store in its own LMDB environment (DATA_DIR/online): memory-mapped reads, writers
 * serialised across processes, so the API, the materialiser and the stream worker can share it.
 */
export class LmdbOnlineStore implements OnlineStoreDriver {
  readonly name = 'lmdb';

  private constructor(private readonly db: RootDatabase) {}

  static open(path: string): LmdbOnlineStore {
    mkdirSync(path, { recursive: true });
    return new LmdbOnlineStore(open({ path, compression: false }));
  }

  async putLatest(view: string, version: number, rows: readonly OnlineRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.db.transactionSync(() => {
      let written = 0;
      for (const row of rows) {
        const key = rowKey(view, version, row.key);
        const current = this.db.get(key) as OnlineRow | undefined;
        if (current && isNewer(current, row)) continue;
        this.db.putSync(key, row);
        written++;
      }
      return written;
    });
  }

  async get(view: string, version: number, keys: ReadonlyArray<readonly string[]>): Promise<Array<OnlineRow | undefined>> {
    return keys.map((k) => this.db.get(rowKey(view, version, k)) as OnlineRow | undefined);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

// Compared as instants: ISO strings with and without fractions do not sort as text.
function isNewer(a: OnlineRow, b: OnlineRow): boolean {
  const ae = Date.parse(a.eventTs);
  const be = Date.parse(b.eventTs);
  return ae > be || (ae === be && Date.parse(a.createdTs) > Date.parse(b.createdTs));
}

function rowKey(view: string, version: number, key: readonly string[]): string {
  return `${view}\u0000${version}\u0000${JSON.stringify(key)}`;
}
