import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakeRepository } from './lake.repository';

/** One partition's files as readers see them. */
export interface PartitionLayout {
  readonly partition: string;
  readonly files: number;
  readonly bytes: number;
  /** Files under half the target size: what compaction merges once a partition holds enough of them. */
  readonly smallFiles: number;
}

/** A dataset's lake files, partition by partition, with the totals. */
export interface LakeLayout {
  readonly files: number;
  readonly bytes: number;
  readonly smallFiles: number;
  /** Files a compaction replaced that stay on disk for the grace period (readers that listed them finish). */
  readonly replacedFiles: number;
  readonly partitions: readonly PartitionLayout[];
}

/** The layout of a dataset's lake: files, bytes and small files of each partition. */
export async function lakeLayout(lake: LakeRepository, dataset: string, targetBytes: number): Promise<LakeLayout> {
  const dir = lake.datasetDir(dataset);
  const partitions: PartitionLayout[] = [];
  for (const [folder, names] of await lake.partitionFiles(dataset)) {
    const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, folder, n)).catch(() => ({ size: 0 }))).size));
    partitions.push({ partition: folder.slice('date='.length), files: names.length, bytes: sum(sizes), smallFiles: sizes.filter((s) => s < targetBytes / 2).length });
  }
  const records = await lake.journal(dataset).records();
  const replacedFiles = records.filter((r) => r.committedAt && !r.inputsRemovedAt).reduce((n, r) => n + r.inputs.length, 0);
  return {
    files: sum(partitions.map((p) => p.files)),
    bytes: sum(partitions.map((p) => p.bytes)),
    smallFiles: sum(partitions.map((p) => p.smallFiles)),
    replacedFiles,
    partitions,
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
