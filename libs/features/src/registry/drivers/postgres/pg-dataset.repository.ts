import type { DatasetSchema } from '../../../datasets/dataset.schema';
import { replacedFiles, type BatchRecord, type DatasetRepository, type NewBatchRecord } from '../../dataset.repository';
import { padded } from '../lmdb-keys';
import { PgKv } from './pg-kv';
import { lockName, type PgPool } from './pg.pool';

const seqKey = (seq: number) => padded(seq, 15);

/** DatasetRepository in PostgreSQL (the LMDB driver's records, in registry_datasets). */
export class PgDatasetRepository implements DatasetRepository {
  private readonly kv = new PgKv('registry_datasets');

  constructor(private readonly pool: PgPool) {}

  async getDataset(name: string): Promise<DatasetSchema | undefined> {
    return this.kv.get<DatasetSchema>(this.pool, `dataset/${name}`);
  }

  async listDatasets(): Promise<DatasetSchema[]> {
    return this.kv.rangeValues<DatasetSchema>(this.pool, 'dataset/');
  }

  async putDataset(schema: DatasetSchema, onlyIfAbsent: boolean): Promise<DatasetSchema> {
    const key = `dataset/${schema.name}`;
    if (!onlyIfAbsent) {
      await this.kv.put(this.pool, key, schema);
      return schema;
    }
    // One statement: the insert or, when another process was first, its schema.
    if (await this.kv.insertIfAbsent(this.pool, key, schema)) return schema;
    return (await this.kv.get<DatasetSchema>(this.pool, key)) ?? schema;
  }

  async findBatch(dataset: string, identity: string): Promise<BatchRecord | undefined> {
    return this.kv.get<BatchRecord>(this.pool, `batch/${dataset}/${identity}`);
  }

  async recordBatch(record: NewBatchRecord): Promise<BatchRecord> {
    const key = `batch/${record.dataset}/${record.identity}`;
    return this.pool.tx(async (q) => {
      // The counter row's lock (taken by increment) would come too late: the check before it
      // must see every batch recorded so far, so the dataset's recorders queue here.
      await lockName(q, `batch-seq/${record.dataset}`);
      const stored = await this.kv.get<BatchRecord>(q, key);
      if (stored?.batchId === record.batchId) return stored;
      const seq = await this.kv.increment(q, `batch-seq/${record.dataset}`);
      const recorded: BatchRecord = { ...record, seq };
      await this.kv.put(q, key, recorded);
      await this.kv.put(q, `batch-by-seq/${record.dataset}/${seqKey(seq)}`, record.identity);
      return recorded;
    });
  }

  async listBatches(dataset: string): Promise<BatchRecord[]> {
    return this.kv.rangeValues<BatchRecord>(this.pool, `batch/${dataset}/`);
  }

  async lastBatchSeq(dataset: string): Promise<number> {
    return (await this.kv.get<number>(this.pool, `batch-seq/${dataset}`)) ?? 0;
  }

  async batchesAfter(dataset: string, seq: number): Promise<BatchRecord[]> {
    const prefix = `batch-by-seq/${dataset}/`;
    // One statement (one snapshot): the index entries after `seq` joined to the batch records.
    // A batch ingested again by force replaces its identity's record: the earlier seq's entry
    // then leads to the later batch, which is listed once, at its own seq.
    const rows = await this.pool.query<{ value: BatchRecord }>(
      `SELECT b.value FROM registry_datasets i JOIN registry_datasets b ON b.key = $4 || (i.value #>> '{}')
        WHERE i.key >= $1 AND i.key < $2 AND i.key >= $3 AND (b.value->>'seq')::bigint = substr(i.key, length($1) + 1)::bigint
        ORDER BY i.key`,
      [prefix, `${prefix.slice(0, -1)}0`, `${prefix}${seqKey(seq + 1)}`, `batch/${dataset}/`],
    );
    return rows.map((r) => r.value);
  }

  async replaceBatchFiles(dataset: string, replaced: ReadonlyMap<string, readonly string[]>): Promise<number> {
    return this.pool.tx(async (q) => {
      // Queued with the dataset's recorders: a batch recorded meanwhile is not overwritten.
      await lockName(q, `batch-seq/${dataset}`);
      let changed = 0;
      for (const batch of await this.kv.rangeValues<BatchRecord>(q, `batch/${dataset}/`)) {
        const files = replacedFiles(batch.files, replaced);
        if (files === batch.files) continue;
        await this.kv.put(q, `batch/${dataset}/${batch.identity}`, { ...batch, files });
        changed++;
      }
      return changed;
    });
  }

  async nextIngestedAt(dataset: string, now: Date): Promise<Date> {
    // One statement: the row lock of the upsert orders concurrent callers.
    const rows = await this.pool.query<{ next: string }>(
      `INSERT INTO registry_datasets AS t (key, value) VALUES ($1, to_json($2::bigint))
         ON CONFLICT (key) DO UPDATE SET value = to_json(GREATEST($2::bigint, (t.value::text)::bigint + 1))
         RETURNING value::text AS next`,
      [`ingested-at/${dataset}`, now.getTime()],
    );
    return new Date(Number(rows[0].next));
  }
}
