import type { RootDatabase } from 'lmdb';
import type { DatasetSchema } from '../../datasets/dataset.schema';
import { replacedFiles, type BatchRecord, type DatasetRepository, type NewBatchRecord } from '../dataset.repository';
import { padded, rangeValues } from './lmdb-keys';

const seqKey = (seq: number) => padded(seq, 15);

/** DatasetRepository in the registry's LMDB environment. */
export class LmdbDatasetRepository implements DatasetRepository {
  constructor(private readonly db: RootDatabase) {}

  async getDataset(name: string): Promise<DatasetSchema | undefined> {
    return this.db.get(`dataset/${name}`) as DatasetSchema | undefined;
  }

  async listDatasets(): Promise<DatasetSchema[]> {
    return rangeValues<DatasetSchema>(this.db, 'dataset/');
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

  async recordBatch(record: NewBatchRecord): Promise<BatchRecord> {
    const counter = `batch-seq/${record.dataset}`;
    const key = `batch/${record.dataset}/${record.identity}`;
    return this.db.transactionSync(() => {
      const stored = this.db.get(key) as BatchRecord | undefined;
      if (stored?.batchId === record.batchId) return stored;
      const seq = ((this.db.get(counter) as number | undefined) ?? 0) + 1;
      const recorded: BatchRecord = { ...record, seq };
      this.db.putSync(counter, seq);
      this.db.putSync(key, recorded);
      this.db.putSync(`batch-by-seq/${record.dataset}/${seqKey(seq)}`, record.identity);
      return recorded;
    });
  }

  async listBatches(dataset: string): Promise<BatchRecord[]> {
    return rangeValues<BatchRecord>(this.db, `batch/${dataset}/`);
  }

  async lastBatchSeq(dataset: string): Promise<number> {
    return (this.db.get(`batch-seq/${dataset}`) as number | undefined) ?? 0;
  }

  async batchesAfter(dataset: string, seq: number): Promise<BatchRecord[]> {
    const prefix = `batch-by-seq/${dataset}/`;
    const entries = [...this.db.getRange({ start: `${prefix}${seqKey(seq + 1)}`, end: `${prefix}\uffff` })];
    // A batch ingested again by force replaces the record of its identity: the index entry of
    // the earlier seq then leads to the later batch, which is listed once, at its own seq.
    return entries
      .map((e) => ({ seq: Number((e.key as string).slice(prefix.length)), batch: this.db.get(`batch/${dataset}/${e.value as string}`) as BatchRecord | undefined }))
      .filter((e): e is { seq: number; batch: BatchRecord } => e.batch?.seq === e.seq)
      .map((e) => e.batch);
  }

  async replaceBatchFiles(dataset: string, replaced: ReadonlyMap<string, readonly string[]>): Promise<number> {
    const prefix = `batch/${dataset}/`;
    // An asynchronous transaction (lmdb-js batches it with the process's other writes): a large
    // synchronous one failed with MDB_BAD_TXN ("reserved freelist had a data entry with
    // zero-size") on a registry of 20,000 batches after a materialisation. Records are read
    // first, then written: a write while a range cursor is open is refused too.
    return this.db.transaction(() => {
      let changed = 0;
      for (const { key, value } of [...this.db.getRange({ start: prefix, end: `${prefix}\uffff` })]) {
        const batch = value as BatchRecord;
        const files = replacedFiles(batch.files, replaced);
        if (files === batch.files) continue;
        this.db.putSync(key, { ...batch, files });
        changed++;
      }
      return changed;
    });
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
}
