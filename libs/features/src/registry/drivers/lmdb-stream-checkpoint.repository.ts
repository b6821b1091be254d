import type { RootDatabase } from 'lmdb';
import { addedEntry, refreshStartMs } from '../pending-refresh';
import type { PendingEntry, PendingRefresh, StreamCheckpointRepository } from '../stream-checkpoint.repository';

/** StreamCheckpointRepository in the registry's LMDB environment. */
export class LmdbStreamCheckpointRepository implements StreamCheckpointRepository {
  constructor(private readonly db: RootDatabase) {}

  async getWatermark(key: string): Promise<string | undefined> {
    return this.db.get(`watermark/${key}`) as string | undefined;
  }

  async setWatermark(key: string, value: string): Promise<void> {
    await this.db.put(`watermark/${key}`, value);
  }

  async setWatermarks(marks: Readonly<Record<string, string>>): Promise<void> {
    await this.db.transaction(() => {
      for (const [key, value] of Object.entries(marks)) this.db.putSync(`watermark/${key}`, value);
    });
  }

  // One record per pending key, so that adding or clearing a few keys does not rewrite the
  // whole set (a stream worker's set holds every (view, symbol) in flight).
  async addPendingRefresh(name: string, sinceByKey: Readonly<Record<string, string>>): Promise<PendingRefresh> {
    // Every start is checked before the transaction: a bad one writes nothing.
    const starts = Object.entries(sinceByKey).map(([key, since]) => ({ key, since, ms: refreshStartMs(key, since) }));
    return this.db.transactionSync(() => {
      const added: Record<string, PendingEntry> = {};
      for (const { key, since, ms } of starts) {
        const entry = addedEntry(this.db.get(pendingEntryKey(name, key)) as PendingEntry | undefined, since, ms);
        this.db.putSync(pendingEntryKey(name, key), entry);
        added[key] = entry;
      }
      return added;
    });
  }

  async getPendingRefresh(name: string): Promise<PendingRefresh> {
    const prefix = pendingEntryKey(name, '');
    const out: Record<string, PendingEntry> = {};
    for (const { key, value } of this.db.getRange({ start: prefix, end: `${prefix}\uffff` })) out[(key as string).slice(prefix.length)] = value as PendingEntry;
    return out;
  }

  async clearPendingRefresh(name: string, done: PendingRefresh): Promise<void> {
    this.db.transactionSync(() => {
      for (const [key, entry] of Object.entries(done)) {
        if ((this.db.get(pendingEntryKey(name, key)) as PendingEntry | undefined)?.n === entry.n) this.db.removeSync(pendingEntryKey(name, key));
      }
    });
  }
}

// The unit separator (not a NUL: lmdb's key encoding reads a NUL inside a string key as the
// boundary of an array key, and a range then returns the two parts apart).
function pendingEntryKey(name: string, key: string): string {
  return `pending-entry/${name}\u001f${key}`;
}
