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
   * batches came later (clocks may tie or step back; this never does).
   */
  readonly seq: number;
}

/** A batch as the lake hands it over: its seq is assigned by recordBatch. */
export type NewBatchRecord = Omit<BatchRecord, 'seq'>;

/**
 * The registry's record of datasets (their schemas) and of the batches committed to the lake.
 *
 * Atomic (one transaction each, safe against other processes): `putDataset` (read and maybe
 * write one schema), `recordBatch` (the batch, the dataset's seq counter and the seq index),
 * `nextIngestedAt` (read and move the dataset's clock).
 */
export interface DatasetRepository {
  getDataset(name: string): Promise<DatasetSchema | undefined>;
  listDatasets(): Promise<DatasetSchema[]>;
  /** Stores the schema; returns the stored one (an existing schema wins when `onlyIfAbsent`). */
  putDataset(schema: DatasetSchema, onlyIfAbsent: boolean): Promise<DatasetSchema>;
  /** The batch recorded last with this content identity, if any. */
  findBatch(dataset: string, identity: string): Promise<BatchRecord | undefined>;
  /**
   * Records a committed batch under the dataset's next seq and returns it. Recording a batch
   * already recorded (same identity and batch id: a recovery finishing a commit twice) returns
   * the stored record and takes no new seq, so no reader sees the batch twice.
   */
  recordBatch(record: NewBatchRecord): Promise<BatchRecord>;
  listBatches(dataset: string): Promise<BatchRecord[]>;
  /** The highest `seq` recorded for the dataset so far (0 before any). */
  lastBatchSeq(dataset: string): Promise<number>;
  /** The batches recorded with a `seq` above the given one, in seq order (an index: no scan of every batch). */
  batchesAfter(dataset: string, seq: number): Promise<BatchRecord[]>;
  /**
   * After a compaction swapped files: every batch listing a file of `replaced` (lake-relative
   * paths) lists the files that now hold its rows instead. Idempotent; returns the batches changed.
   */
  replaceBatchFiles(dataset: string, replaced: ReadonlyMap<string, readonly string[]>): Promise<number>;
  /** A batch time for `dataset` strictly later than any handed out before (ties on a fast clock). */
  nextIngestedAt(dataset: string, now: Date): Promise<Date>;
}

/** A batch's files after the replacements of a compaction (order kept, each file once); the same array when none applies. */
export function replacedFiles(files: readonly string[], replaced: ReadonlyMap<string, readonly string[]>): readonly string[] {
  if (!files.some((f) => replaced.has(f))) return files;
  return [...new Set(files.flatMap((f) => replaced.get(f) ?? [f]))];
}
