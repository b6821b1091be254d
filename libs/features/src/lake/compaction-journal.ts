import { join } from 'node:path';
import type { LakeFileSystem } from './lake.file-system';

/**
 * One compaction of one folder: `inputs` are replaced by `outputs` (file names in `folder`).
 *
 * The record is the swap's commit marker. It is written (durably) before the first output is
 * renamed into the folder, and readers apply it to what they list:
 * - committed, or every output listed: the compaction happened, its inputs are left out;
 * - else (some output missing): it did not happen (yet), the outputs that are there are left out.
 * So a reader sees the inputs or the outputs, never both and never neither, whatever moment its
 * listing catches. Inputs are removed only a grace period after the swap (a reader that listed
 * them before it still reads them), the record a grace period after that.
 */
export interface CompactionRecord {
  readonly id: string;
  /** Paths relative to the journal's root (`date=2024-03/x.parquet`, or a bare name in a flat folder). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** The process doing it: a record of a dead owner that is not committed is finished or undone. */
  readonly owner: { readonly pid: number; readonly instance: string };
  readonly startedAt: string;
  /** Every output in place and everything the swap updates (the registry's batch files) done. */
  readonly committedAt?: string;
  /** When the inputs were deleted (a grace period after the commit). */
  readonly inputsRemovedAt?: string;
  /** Row versions superseded before this time were dropped (retention), if any. */
  readonly retentionHorizon?: string;
  /** Rows written and row versions dropped, for the report. */
  readonly rows: number;
  readonly droppedVersions: number;
}

const RECORD_SUFFIX = '.json';

/** The compaction records of one root (a dataset's folder, a view version's folder): `<root>/_compactions/`. */
export class CompactionJournal {
  readonly dir: string;

  constructor(
    readonly root: string,
    private readonly fs: LakeFileSystem,
  ) {
    this.dir = join(root, '_compactions');
  }

  /** Every record, oldest first. */
  async records(): Promise<CompactionRecord[]> {
    const out: CompactionRecord[] = [];
    for (const name of (await this.fs.list(this.dir)).sort()) {
      if (!name.endsWith(RECORD_SUFFIX) || name.startsWith('.')) continue;
      try {
        out.push(JSON.parse(await this.fs.readText(join(this.dir, name))) as CompactionRecord);
      } catch (error) {
        // Removed by a cleanup between the listing and the read: it no longer applies.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return out;
  }

  /** Writes (or replaces) a record atomically and durably. */
  async write(record: CompactionRecord): Promise<void> {
    await this.fs.makeDir(this.dir);
    const final = join(this.dir, `${record.id}${RECORD_SUFFIX}`);
    const temp = join(this.dir, `.${record.id}${RECORD_SUFFIX}.tmp`);
    await this.fs.writeText(temp, JSON.stringify(record));
    await this.fs.sync([temp]);
    await this.fs.rename(temp, final);
    await this.fs.sync([this.dir]);
  }

  async remove(id: string): Promise<void> {
    await this.fs.remove(join(this.dir, `${id}${RECORD_SUFFIX}`));
  }

  /** A private folder for a compaction's outputs while they are written. */
  stagingDir(id: string): string {
    return join(this.dir, `${id}.staging`);
  }

  /** The staging folders in the journal (of finished, crashed or running compactions). */
  async stagingIds(): Promise<string[]> {
    return (await this.fs.list(this.dir)).filter((n) => n.endsWith('.staging')).map((n) => n.slice(0, -'.staging'.length));
  }
}

/**
 * The files readers read, from a listing of folders (folder → file names) and the records: see
 * CompactionRecord. The listing must be taken before the records are read.
 */
export function visibleFiles(listing: ReadonlyMap<string, readonly string[]>, records: readonly CompactionRecord[]): Map<string, string[]> {
  const path = (folder: string, name: string) => (folder ? `${folder}/${name}` : name);
  const present = new Set([...listing].flatMap(([folder, names]) => names.map((n) => path(folder, n))));
  const hidden = new Set<string>();
  for (const r of records) {
    // Committed is done for good: a later compaction may have replaced (and removed) its outputs.
    const done = r.committedAt !== undefined || r.outputs.every((o) => present.has(o));
    for (const p of done ? r.inputs : r.outputs) hidden.add(p);
  }
  const out = new Map<string, string[]>();
  for (const [folder, names] of listing) {
    const kept = hidden.size ? names.filter((n) => !hidden.has(path(folder, n))) : [...names];
    if (kept.length) out.set(folder, kept);
  }
  return out;
}
