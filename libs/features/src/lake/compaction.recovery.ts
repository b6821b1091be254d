import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DatasetRepository } from '../registry/dataset.repository';
import { pidAlive } from '../registry/process-lease';
import type { CompactionJournal, CompactionRecord } from './compaction-journal';
import type { LakeRepository } from './lake.repository';

/** The owner file of a compaction's staging folder (a folder of a dead owner without a record is discarded). */
export const OWNER = '_OWNER.json';

// Tells this process's compactions from those of an earlier process that had the same pid.
const INSTANCE = `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
// The compactions this process is running now (record ids). A record of this process that is not
// among them failed after its marker (an error, not a crash): the next run finishes it, as it
// would a dead process's; left alone, a later compaction could take its outputs for inputs.
const IN_FLIGHT = new Set<string>();

/**
 * Finishing, undoing and tidying compactions (compaction-journal.ts): rolls a committed-marker
 * swap forward (outputs into place, the registry's batch files updated, the record committed),
 * discards what a crash left before the marker, and removes inputs and records once the grace
 * period that lets running readers finish has passed.
 */
export class CompactionRecovery {
  readonly owner = { pid: process.pid, instance: INSTANCE };

  /**
   * `datasets` remaps a dataset's batch files on commit (null for a folder without batches: the
   * offline store); `mayFinish` may refuse to roll a dead owner's record forward (it is undone).
   */
  constructor(
    private readonly lake: Pick<LakeRepository, 'fileSystem'>,
    private readonly datasets: Pick<DatasetRepository, 'replaceBatchFiles'> | null,
    private readonly graceMs: number,
    private readonly mayFinish: (journal: CompactionJournal, record: CompactionRecord) => Promise<boolean> = async () => true,
  ) {}

  /**
   * Puts every output of `record` in place and commits it; a record whose outputs can no longer
   * all be placed (never the case after a clean marker write) is undone. True when committed.
   */
  async finish(dataset: string, journal: CompactionJournal, record: CompactionRecord, now: Date): Promise<boolean> {
    const fs = this.lake.fileSystem;
    const root = journal.root;
    const staging = journal.stagingDir(record.id);
    for (const output of record.outputs) {
      const to = join(root, output);
      if ((await fs.list(dirname(to))).includes(output.split('/').at(-1)!)) continue;
      const from = join(staging, output);
      if (!(await fs.list(dirname(from))).includes(output.split('/').at(-1)!)) return this.undo(journal, record);
      await fs.makeDir(dirname(to));
      try {
        await fs.rename(from, to);
      } catch (error) {
        // Another process recovering the same record moved it first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !(await fs.list(dirname(to))).includes(output.split('/').at(-1)!)) throw error;
      }
    }
    await fs.sync([...new Set(record.outputs.map((o) => dirname(join(root, o)))), root]);
    // Batches keep naming the files that hold their rows (the materialiser reads new batches' files).
    const lakeRelative = (p: string) => `${dataset}/${p}`;
    await this.datasets?.replaceBatchFiles(dataset, new Map(record.inputs.map((i) => [lakeRelative(i), record.outputs.map(lakeRelative)])));
    await journal.write({ ...record, committedAt: now.toISOString() });
    await fs.remove(staging);
    return true;
  }

  /** Finishes the records of dead owners and discards their staging folders without a record. */
  async recover(dataset: string, journal: CompactionJournal, now: Date): Promise<void> {
    const records = await journal.records();
    for (const record of records) {
      if (record.committedAt || this.running(record.id, record.owner)) continue;
      if (await this.mayFinish(journal, record)) await this.finish(dataset, journal, record, now);
      else await this.undo(journal, record);
    }
    const known = new Map(records.map((r) => [r.id, r]));
    for (const id of await journal.stagingIds()) {
      const record = known.get(id);
      if (record && !record.committedAt) continue;
      if (!record && (await this.stagingOwnerAlive(journal, id))) continue;
      await this.lake.fileSystem.remove(journal.stagingDir(id));
    }
  }

  /** Removes inputs a grace period after their swap, and records a grace period after that. */
  async cleanup(journal: CompactionJournal, now: Date): Promise<void> {
    const fs = this.lake.fileSystem;
    for (const record of await journal.records()) {
      if (record.inputsRemovedAt) {
        if (now.getTime() - Date.parse(record.inputsRemovedAt) >= this.graceMs) await journal.remove(record.id);
        continue;
      }
      if (!record.committedAt || now.getTime() - Date.parse(record.committedAt) < this.graceMs) continue;
      for (const input of record.inputs) await fs.remove(join(journal.root, input));
      // Folders of an old layout are left empty: removed unless a batch wrote into them meanwhile.
      const outputFolders = new Set(record.outputs.map((o) => dirname(o)));
      for (const folder of new Set(record.inputs.map((i) => dirname(i)))) {
        if (folder === '.' || outputFolders.has(folder)) continue;
        if ((await fs.list(join(journal.root, folder))).length === 0) await fs.remove(join(journal.root, folder));
      }
      await journal.write({ ...record, inputsRemovedAt: now.toISOString() });
    }
  }

  private async undo(journal: CompactionJournal, record: CompactionRecord): Promise<false> {
    const fs = this.lake.fileSystem;
    for (const output of record.outputs) await fs.remove(join(journal.root, output));
    await journal.remove(record.id);
    await fs.remove(journal.stagingDir(record.id));
    return false;
  }

  /** Marks a compaction of this process as running until `work` settles (recovery leaves it alone). */
  async inFlight<T>(id: string, work: () => Promise<T>): Promise<T> {
    IN_FLIGHT.add(id);
    try {
      return await work();
    } finally {
      IN_FLIGHT.delete(id);
    }
  }

  private running(id: string, owner: { pid: number; instance: string }): boolean {
    if (owner.pid === process.pid) return owner.instance === INSTANCE && IN_FLIGHT.has(id);
    return pidAlive(owner.pid);
  }

  private async stagingOwnerAlive(journal: CompactionJournal, id: string): Promise<boolean> {
    try {
      return this.running(id, JSON.parse(await this.lake.fileSystem.readText(join(journal.stagingDir(id), OWNER))) as { pid: number; instance: string });
    } catch {
      // No owner file yet: the folder is seconds old, or its owner died before writing it.
      return false;
    }
  }
}
