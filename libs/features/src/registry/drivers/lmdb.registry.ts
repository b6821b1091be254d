import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import type { DatasetSchema } from '../../datasets/dataset.schema';
import type { BatchRecord, DatasetRegistry, PendingEntry, PendingRefresh } from '../registry';
import { LmdbFeatureRegistry } from './lmdb-feature.registry';

/**
 * Registry in an LMDB environment under DATA_DIR/registry. LMDB serialises writers across
 * processes and gives readers consistent snapshots, so the API and the ingest CLI can share it.
 */
export class LmdbRegistry implements DatasetRegistry {
  /** The feature side of the registry, in the same LMDB environment. */
  readonly features: LmdbFeatureRegistry;

  private constructor(private readonly db: RootDatabase) {
    this.features = new LmdbFeatureRegistry(db);
  }

  static open(path: string): LmdbRegistry {
    mkdirSync(path, { recursive: true });
    return new LmdbRegistry(open({ path, compression: false, noSubdir: false }));
  }

  async getDataset(name: string): Promise<DatasetSchema | undefined> {
    return this.db.get(`dataset/${name}`) as DatasetSchema | undefined;
  }

  async listDatasets(): Promise<DatasetSchema[]> {
    return this.range('dataset/').map((v) => v as DatasetSchema);
  }

  async putDataset(schema: DatasetSchema, onlyIfAbsent: boolean): Promise<DatasetSchema> {
    const key = `dataset/${schema.name}`;
    return this.db.transactionSync(() => {
      const existing = this.db.get(key) as DatasetSchema | undefined;
      if (existing && onlyIfAbsent) return existing;
      this.db.putSync(key, schema);
      return schema;
    });
  }

  async findBatch(dataset: string, identity: string): Promise<BatchRecord | undefined> {
    return this.db.get(`batch/${dataset}/${identity}`) as BatchRecord | undefined;
  }

  async recordBatch(record: BatchRecord): Promise<void> {
    const seqKey = `batch-seq/${record.dataset}`;
    this.db.transactionSync(() => {
      const seq = ((this.db.get(seqKey) as number | undefined) ?? 0) + 1;
      this.db.putSync(seqKey, seq);
      this.db.putSync(`batch/${record.dataset}/${record.identity}`, { ...record, seq });
      this.db.putSync(`batch-by-seq/${record.dataset}/${padSeq(seq)}`, record.identity);
    });
  }

  // One record per pending key, so that adding or clearing a few keys does not rewrite the
  // whole set (a stream worker's set holds every (view, symbol) in flight).
  async addPendingRefresh(name: string, sinceByKey: Readonly<Record<string, string>>): Promise<PendingRefresh> {
    return this.db.transactionSync(() => {
      this.migratePending(name);
      const added: Record<string, PendingEntry> = {};
      for (const [k, since] of Object.entries(sinceByKey)) {
        const prior = this.db.get(pendingEntryKey(name, k)) as PendingEntry | undefined;
        const entry = { since: prior && prior.since < since ? prior.since : since, n: (prior?.n ?? 0) + 1 };
        this.db.putSync(pendingEntryKey(name, k), entry);
        added[k] = entry;
      }
      return added;
    });
  }

  async getPendingRefresh(name: string): Promise<PendingRefresh> {
    const prefix = pendingEntryKey(name, '');
    const out: Record<string, PendingEntry> = { ...((this.db.get(legacyPendingKey(name)) as PendingRefresh | undefined) ?? {}) };
    for (const { key, value } of this.db.getRange({ start: prefix, end: `${prefix}\uffff` })) {
      const k = (key as string).slice(prefix.length);
      out[k] = out[k] ? mergedEntry(out[k], value as PendingEntry, 0) : (value as PendingEntry);
    }
    return out;
  }

  async clearPendingRefresh(name: string, done: PendingRefresh): Promise<void> {
    this.db.transactionSync(() => {
      this.migratePending(name);
      for (const [k, entry] of Object.entries(done)) {
        if ((this.db.get(pendingEntryKey(name, k)) as PendingEntry | undefined)?.n === entry.n) this.db.removeSync(pendingEntryKey(name, k));
      }
    });
  }

  // A set stored by an earlier version as one record becomes one record per key (inside a write transaction).
  private migratePending(name: string): void {
    const legacy = this.db.get(legacyPendingKey(name)) as PendingRefresh | undefined;
    if (!legacy) return;
    for (const [k, entry] of Object.entries(legacy)) {
      // Both kinds at once (an older worker on the same files): the earlier since, and an `n`
      // above both, so that no clear of either's snapshot removes the merged entry.
      const current = this.db.get(pendingEntryKey(name, k)) as PendingEntry | undefined;
      this.db.putSync(pendingEntryKey(name, k), current ? mergedEntry(current, entry, 1) : entry);
    }
    this.db.removeSync(legacyPendingKey(name));
  }

  async batchesAfter(dataset: string, seq: number): Promise<BatchRecord[]> {
    const prefix = `batch-by-seq/${dataset}/`;
    const identities = [...this.db.getRange({ start: `${prefix}${padSeq(seq + 1)}`, end: `${prefix}\uffff` })].map((e) => e.value as string);
    return identities.map((id) => this.db.get(`batch/${dataset}/${id}`) as BatchRecord | undefined).filter((b): b is BatchRecord => b !== undefined);
  }

  async lastBatchSeq(dataset: string): Promise<number> {
    return (this.db.get(`batch-seq/${dataset}`) as number | undefined) ?? 0;
  }

  async listBatches(dataset: string): Promise<BatchRecord[]> {
    return this.range(`batch/${dataset}/`).map((v) => v as BatchRecord);
  }

  async nextIngestedAt(dataset: string, now: Date): Promise<Date> {
    const key = `ingested-at/${dataset}`;
    return this.db.transactionSync(() => {
      const last = (this.db.get(key) as number | undefined) ?? 0;
      const next = Math.max(now.getTime(), last + 1);
      this.db.putSync(key, next);
      return new Date(next);
    });
  }

  async getWatermark(key: string): Promise<string | undefined> {
    return this.db.get(`watermark/${key}`) as string | undefined;
  }

  async setWatermark(key: string, value: string): Promise<void> {
    await this.db.put(`watermark/${key}`, value);
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.db.get(`meta/${key}`) as T | undefined;
  }

  async setMeta<T>(key: string, value: T): Promise<void> {
    await this.db.put(`meta/${key}`, value);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private range(prefix: string): unknown[] {
    // '\uffff' sorts after every character we use in keys, so this is the prefix's whole range.
    return [...this.db.getRange({ start: prefix, end: `${prefix}\uffff` })].map((e) => e.value);
  }
}

function legacyPendingKey(name: string): string {
  return `pending-refresh/${name}`;
}

// The unit separator (not a NUL: lmdb's key encoding reads a NUL inside a string key as the
// boundary of an array key, and a range then returns the two parts apart).
function pendingEntryKey(name: string, key: string): string {
  return `pending-entry/${name}\u001f${key}`;
}

function mergedEntry(a: PendingEntry, b: PendingEntry, bump: number): PendingEntry {
  return { since: a.since < b.since ? a.since : b.since, n: Math.max(a.n, b.n) + bump };
}

// Fixed-width, so that key order is numeric order.
function padSeq(seq: number): string {
  return String(seq).padStart(15, '0');
}
