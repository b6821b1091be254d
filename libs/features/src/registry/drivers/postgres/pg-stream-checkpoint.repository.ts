import { addedEntry, refreshStartMs } from '../../pending-refresh';
import type { PendingEntry, PendingRefresh, StreamCheckpointRepository } from '../../stream-checkpoint.repository';
import { PgKv } from './pg-kv';
import { lockName, type PgPool } from './pg.pool';

/** StreamCheckpointRepository in PostgreSQL (registry_streams): watermarks and pending refreshes, one row per key. */
export class PgStreamCheckpointRepository implements StreamCheckpointRepository {
  private readonly kv = new PgKv('registry_streams');

  constructor(private readonly pool: PgPool) {}

  async getWatermark(key: string): Promise<string | undefined> {
    return this.kv.get<string>(this.pool, `watermark/${key}`);
  }

  async setWatermark(key: string, value: string): Promise<void> {
    await this.kv.put(this.pool, `watermark/${key}`, value);
  }

  async setWatermarks(marks: Readonly<Record<string, string>>): Promise<void> {
    await this.pool.tx(async (q) => {
      for (const [key, value] of Object.entries(marks)) await this.kv.put(q, `watermark/${key}`, value);
    });
  }

  async addPendingRefresh(name: string, sinceByKey: Readonly<Record<string, string>>): Promise<PendingRefresh> {
    // Every start is checked before the transaction: a bad one writes nothing.
    const starts = Object.entries(sinceByKey).map(([key, since]) => ({ key, since, ms: refreshStartMs(key, since) }));
    return this.pool.tx(async (q) => {
      // Read, merge, write of each key must not interleave with another writer of the set.
      await lockName(q, `pending/${name}`);
      const added: Record<string, PendingEntry> = {};
      for (const { key, since, ms } of starts) {
        const entry = addedEntry(await this.kv.get<PendingEntry>(q, pendingEntryKey(name, key)), since, ms);
        await this.kv.put(q, pendingEntryKey(name, key), entry);
        added[key] = entry;
      }
      return added;
    });
  }

  async getPendingRefresh(name: string): Promise<PendingRefresh> {
    const prefix = pendingEntryKey(name, '');
    const out: Record<string, PendingEntry> = {};
    for (const { key, value } of await this.kv.range<PendingEntry>(this.pool, prefix)) out[key.slice(prefix.length)] = value;
    return out;
  }

  async clearPendingRefresh(name: string, done: PendingRefresh): Promise<void> {
    await this.pool.tx(async (q) => {
      // Compare-and-remove per key in one statement each: an `n` that moved on is kept.
      for (const [key, entry] of Object.entries(done)) {
        await q.query(`DELETE FROM registry_streams WHERE key = $1 AND (value->>'n')::bigint = $2`, [pendingEntryKey(name, key), entry.n]);
      }
    });
  }
}

// The LMDB driver's key (the unit separator between set and key), so export/import keeps it.
function pendingEntryKey(name: string, key: string): string {
  return `pending-entry/${name}\u001f${key}`;
}
