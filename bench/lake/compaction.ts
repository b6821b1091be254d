import type { FeatureStore } from '@app/features';

/**
 * The compaction API as the lead's contract states it (issue 19). Typed here, not imported: the
 * bench was written while the service was being written on main, and it must run (reporting the
 * "before" side only) against a store that has none.
 */
export interface CompactionReport {
  readonly dataset: string;
  readonly partitions: ReadonlyArray<{
    readonly partition: string;
    readonly inputFiles: number;
    readonly inputBytes: number;
    readonly outputFiles: number;
    readonly outputBytes: number;
    readonly rows: number;
    readonly droppedVersions: number;
    readonly ms: number;
  }>;
  readonly ms: number;
}

export interface CompactionOptions {
  readonly partitions?: readonly string[];
  readonly targetBytes?: number;
  readonly targetRows?: number;
}

interface LakeCompaction {
  compactDataset(dataset: string, options?: CompactionOptions): Promise<CompactionReport>;
}

/** The store's compaction service, or null when this build of the store has none. */
export function compactionOf(store: FeatureStore): LakeCompaction | null {
  const service = (store as unknown as { compaction?: Partial<LakeCompaction> }).compaction;
  return service && typeof service.compactDataset === 'function' ? (service as LakeCompaction) : null;
}

/** The ideal file count for a target: per partition the larger of ceil(bytes / targetBytes) and ceil(rows / targetRows), summed. */
export function idealFiles(partitions: ReadonlyArray<{ bytes: number; rows: number }>, targetBytes: number, targetRows: number): number {
  return partitions.reduce((n, p) => n + Math.max(1, Math.ceil(p.bytes / targetBytes), Math.ceil(p.rows / targetRows)), 0);
}
