import type { DatasetSchema } from '../datasets/dataset.schema';

/** One committed lake batch: what it came from and which files it wrote. */
export interface BatchRecord {
  readonly batchId: string;
  readonly dataset: string;
  /** Content identity: the same source with the same content and options has the same identity. */
  readonly identity: string;
  readonly source: string;
  readonly rows: number;
  readonly rejected: number;
  readonly files: readonly string[];
  readonly ingestedAt: string;
  readonly committedAt: string;
  /**
   * Commit order within the dataset (1, 2, 3…), assigned when the batch is recorded, after its
   * files are in place. Readers that remember the highest one they have seen know exactly which
   * batches came later (clocks may tie or step back; this never does). Absent on older records.
   */
  readonly seq?: number;
}

/** A key awaiting an online refresh: from when, and a count of additions (see clearPendingRefresh). */
export interface PendingEntry {
  readonly since: string;
  readonly n: number;
}

/** Keys whose online values still need a refresh. */
export type PendingRefresh = Readonly<Record<string, PendingEntry>>;

/**
 * The embedded registry's dataset side: schemas, batches, watermarks. Safe for several
 * processes at once; async so that a PostgreSQL backend can implement it unchanged.
 */
export interface DatasetRegistry {
  getDataset(name: string): Promise<DatasetSchema | undefined>;
  listDatasets(): Promise<DatasetSchema[]>;
  /** Stores the schema; returns the stored one (an existing schema wins when `onlyIfAbsent`). */
  putDataset(schema: DatasetSchema, onlyIfAbsent: boolean): Promise<DatasetSchema>;
  findBatch(dataset: string, identity: string): Promise<BatchRecord | undefined>;
  recordBatch(record: BatchRecord): Promise<void>;
  listBatches(dataset: string): Promise<BatchRecord[]>;
  /** The highest `seq` recorded for the dataset so far (0 before any). */
  lastBatchSeq(dataset: string): Promise<number>;
  /** The batches recorded with a `seq` above the given one, in seq order (an index: no scan of every batch). */
  batchesAfter(dataset: string, seq: number): Promise<BatchRecord[]>;
  /**
   * Adds keys to the durable set `name` of keys awaiting an online refresh, each with the time
   * from which it needs one (atomically: a key's `since` becomes the earlier one, its `n` goes
   * up); returns those keys' entries.
   */
  addPendingRefresh(name: string, sinceByKey: Readonly<Record<string, string>>): Promise<PendingRefresh>;
  getPendingRefresh(name: string): Promise<PendingRefresh>;
  /** Removes the keys refreshed, unless they were added again since `done` was read (their `n` moved on). */
  clearPendingRefresh(name: string, done: PendingRefresh): Promise<void>;
  /** A batch time for `dataset` strictly later than any handed out before (ties on a fast clock). */
  nextIngestedAt(dataset: string, now: Date): Promise<Date>;
  getWatermark(key: string): Promise<string | undefined>;
  setWatermark(key: string, value: string): Promise<void>;
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta<T>(key: string, value: T): Promise<void>;
  close(): Promise<void>;
}
