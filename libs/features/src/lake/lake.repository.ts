import { dirname, join } from 'node:path';
import type { DatasetRepository, NewBatchRecord } from '../registry/dataset.repository';
import { assertIdentifier } from '../sql/identifier';
import { fileListLiteral, sql, type Sql } from '../sql/sql';
import { pidAlive } from '../registry/process-lease';
import { CompactionJournal, visibleFiles } from './compaction-journal';
import { LocalFileSystem } from './drivers/local.file-system';
import type { LakeFileSystem } from './lake.file-system';

const COMMIT_MARKER = '_COMMIT.json';
// Tells this process's staging folders from those of an earlier process that had the same pid.
const INSTANCE = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const OWNER_FILE = '_OWNER.json';

interface CommitPlan {
  readonly record: NewBatchRecord;
  readonly moves: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

/**
 * The Parquet lake on local disk: `lake/<dataset>/date=YYYY-MM-DD/<batch>.parquet`.
 * Batches are written into `staging/<batch>/` and renamed into place, so a reader globbing
 * the lake never sees a partial file; a commit marker lets a crashed commit be rolled forward.
 */
export class LakeRepository {
  readonly lakeDir: string;
  readonly stagingDir: string;
  readonly quarantineDir: string;

  constructor(
    dataDir: string,
    private readonly fs: LakeFileSystem = new LocalFileSystem(),
  ) {
    this.lakeDir = join(dataDir, 'lake');
    this.stagingDir = join(dataDir, 'staging');
    this.quarantineDir = join(dataDir, 'quarantine');
  }

  /** The file operations the lake is written with (compaction uses the same). */
  get fileSystem(): LakeFileSystem {
    return this.fs;
  }

  /** The folder holding a dataset's date partitions. */
  datasetDir(dataset: string): string {
    assertIdentifier(dataset, 'dataset');
    return join(this.lakeDir, dataset);
  }

  /** The compaction records of a dataset (libs/features/src/lake/compaction-journal.ts). */
  journal(dataset: string): CompactionJournal {
    return new CompactionJournal(this.datasetDir(dataset), this.fs);
  }

  /**
   * A dataset's committed files as readers must read them, partition by partition (folder →
   * file names): listed first, then the compaction records applied, so a swap running meanwhile
   * shows either its inputs or its outputs.
   */
  async partitionFiles(dataset: string): Promise<Map<string, string[]>> {
    const dir = this.datasetDir(dataset);
    const listing = new Map<string, string[]>();
    const partitions = (await this.fs.list(dir)).filter((p) => p.startsWith('date=')).sort();
    const contents = await Promise.all(partitions.map((p) => this.fs.list(join(dir, p))));
    partitions.forEach((partition, i) => {
      const names = contents[i].filter((f) => f.endsWith('.parquet') && !f.startsWith('.'));
      if (names.length) listing.set(partition, names.sort());
    });
    return visibleFiles(listing, await this.journal(dataset).records());
  }

  /** The absolute paths of a dataset's committed files (see partitionFiles). */
  async files(dataset: string): Promise<string[]> {
    const dir = this.datasetDir(dataset);
    return [...(await this.partitionFiles(dataset))].flatMap(([partition, names]) => names.map((n) => join(dir, partition, n)));
  }

  /**
   * A DuckDB table expression over the dataset's files, or undefined while it has none. The
   * files are listed, not globbed by DuckDB: a compaction's swap must not fall between them.
   */
  async scanSql(dataset: string): Promise<Sql | undefined> {
    const files = await this.files(dataset);
    if (files.length === 0) return undefined;
    // Every file of a dataset is written with the dataset's declared columns, in order, so
    // union_by_name (which reads every file's footer before the query starts) is not needed.
    // The partition value is text (2024-03-15, 2024-03 or 2024 by the dataset's granularity).
    return sql`read_parquet(${fileListLiteral(files)}, hive_partitioning = true, hive_types = {'date': 'VARCHAR'})`;
  }

  /** True once a dataset has a committed file (partition folders only appear holding one). */
  async hasFiles(dataset: string): Promise<boolean> {
    const dir = this.datasetDir(dataset);
    return (await this.fs.list(dir)).some((p) => p.startsWith('date='));
  }

  /** Creates a private staging folder for one batch, stamped with this process as its owner. */
  async createStaging(batchId: string): Promise<string> {
    const dir = join(this.stagingDir, batchId);
    // The folder appears with its owner already inside, so no other process can take it for an orphan.
    const pending = join(this.stagingDir, `.${batchId}.${INSTANCE}`);
    await this.fs.makeDir(pending);
    try {
      await this.fs.writeText(join(pending, OWNER_FILE), JSON.stringify({ pid: process.pid, instance: INSTANCE, startedAt: new Date().toISOString() }));
      await this.fs.rename(pending, dir);
    } catch (error) {
      // `recover` never looks at pending folders: this one is removed here or not at all.
      await this.fs.remove(pending).catch(() => undefined);
      throw error;
    }
    return dir;
  }

  /** Deletes a staged batch that will not be committed. */
  async discardStaging(dir: string): Promise<void> {
    await this.fs.remove(dir);
  }

  /**
   * Moves a staged batch into the lake and records it; the staging folder is this method's from
   * the call on. The plan is written first, so a crash or an error anywhere after that is
   * finished by `recover`; before it, the batch simply never happened.
   */
  async commit(dir: string, record: Omit<NewBatchRecord, 'files'>, registry: Pick<DatasetRepository, 'recordBatch'>): Promise<NewBatchRecord> {
    let plan: CommitPlan;
    try {
      plan = await this.writePlan(dir, record);
    } catch (error) {
      await this.discardStaging(dir);
      throw error;
    }
    try {
      await this.applyPlan(dir, plan, registry);
    } catch (error) {
      // Some files may be in the lake already: the batch must be finished, not discarded. Without
      // its owner file the folder is an orphan, which the next `recover` (any ingest) rolls forward.
      await this.fs.remove(join(dir, OWNER_FILE)).catch(() => undefined);
      throw error;
    }
    return plan.record;
  }

  // The plan of a commit (which file goes where), durable, in the staging folder.
  private async writePlan(dir: string, record: Omit<NewBatchRecord, 'files'>): Promise<CommitPlan> {
    const staged = await this.listStagedFiles(dir);
    const moves = staged.map((file, i) => {
      const partition = file.split('/')[0];
      const name = staged.length > 1 && countIn(staged, partition) > 1 ? `${record.batchId}-${i}.parquet` : `${record.batchId}.parquet`;
      return { from: file, to: join(record.dataset, partition, name) };
    });
    const plan: CommitPlan = { record: { ...record, files: moves.map((m) => m.to) }, moves };
    // The staged files durable before they can become visible: the files, their entries in their
    // partition folders, and those folders' in the batch's.
    const files = staged.map((file) => join(dir, file));
    await this.fs.sync([...files, ...new Set(files.map((file) => dirname(file))), dir]);
    await this.fs.writeText(join(dir, COMMIT_MARKER), JSON.stringify(plan));
    // (The marker's entry too: the renames must not outlive the plan that finishes them.)
    await this.fs.sync([join(dir, COMMIT_MARKER), dir]);
    return plan;
  }

  /**
   * Finishes or discards staging folders left by crashed processes or failed commits: with a
   * commit marker the batch is rolled forward, without one it is deleted. Folders that a live
   * process still owns are left alone.
   */
  async recover(registry: Pick<DatasetRepository, 'recordBatch'>): Promise<{ rolledForward: string[]; discarded: string[] }> {
    const rolledForward: string[] = [];
    const discarded: string[] = [];
    for (const batchId of await this.fs.list(this.stagingDir)) {
      if (batchId.startsWith('.')) continue;
      const dir = join(this.stagingDir, batchId);
      if (await this.ownerAlive(dir)) continue;
      if ((await this.fs.list(dir)).includes(COMMIT_MARKER)) {
        const plan = JSON.parse(await this.fs.readText(join(dir, COMMIT_MARKER))) as CommitPlan;
        await this.applyPlan(dir, plan, registry);
        rolledForward.push(batchId);
      } else {
        await this.fs.remove(dir);
        discarded.push(batchId);
      }
    }
    return { rolledForward, discarded };
  }

  private async applyPlan(dir: string, plan: CommitPlan, registry: Pick<DatasetRepository, 'recordBatch'>): Promise<void> {
    const datasetDir = this.datasetDir(plan.record.dataset);
    await this.fs.makeDir(datasetDir);
    const existing = new Set(await this.fs.list(datasetDir));
    for (const move of plan.moves) {
      const to = join(this.lakeDir, move.to);
      const [stagedFolder, stagedFile] = move.from.split('/');
      const [, partition, finalName] = move.to.split('/');
      const stagedPartition = join(dir, stagedFolder);
      const named = join(stagedPartition, finalName);
      // A crash may have left the file under its staged name, under its final name in the
      // staging partition, or already in the lake.
      const present = await this.fs.list(stagedPartition);
      const from = present.includes(stagedFile) ? join(dir, move.from) : present.includes(finalName) ? named : null;
      if (!from) continue;
      if (!existing.has(partition) && present.length === 1) {
        // A new partition: rename the staged file to its final name inside the staging
        // partition, then move the whole folder in one step (one rename, no mkdir). Another
        // process may have created the partition meanwhile: then move the file alone.
        if (from !== named) await this.fs.rename(from, named);
        try {
          await this.fs.rename(stagedPartition, join(datasetDir, partition));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
          await this.fs.rename(named, to);
        }
      } else {
        await this.fs.makeDir(dirname(to));
        await this.fs.rename(from, to);
      }
      existing.add(partition);
    }
    // The renames on disk before the batch is recorded (and, for the stream, its offsets
    // committed): after a power loss the lake holds every batch the registry lists. (Every
    // folder of the plan, also those of renames a crashed run made before this recovery.)
    const partitions = [...new Set(plan.moves.map((m) => m.to.split('/')[1]))].filter((p) => existing.has(p)).map((p) => join(datasetDir, p));
    await this.fs.sync([datasetDir, ...partitions]);
    await registry.recordBatch(plan.record);
    await this.fs.remove(dir);
  }

  /** Where a batch's rejected rows are kept, as NDJSON. */
  quarantinePath(dataset: string, batchId: string): string {
    return join(this.quarantineDir, dataset, `${batchId}.ndjson`);
  }

  private async listStagedFiles(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const part of await this.fs.list(dir)) {
      if (!part.startsWith('date=')) continue;
      for (const file of await this.fs.list(join(dir, part))) if (file.endsWith('.parquet')) out.push(`${part}/${file}`);
    }
    return out.sort();
  }

  // A staging folder's owner is alive when it is this very instance, or another live process.
  private async ownerAlive(dir: string): Promise<boolean> {
    let owner: { pid: number; instance: string };
    try {
      owner = JSON.parse(await this.fs.readText(join(dir, OWNER_FILE))) as { pid: number; instance: string };
    } catch {
      return false;
    }
    if (owner.pid === process.pid) return owner.instance === INSTANCE;
    return pidAlive(owner.pid);
  }
}

function countIn(files: readonly string[], partition: string): number {
  return files.filter((f) => f.startsWith(`${partition}/`)).length;
}

