import { closeSync, existsSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { assertIdentifier, quoteLiteral } from '../sql/identifier';
import type { DatasetRepository, NewBatchRecord } from '../registry/dataset.repository';

const execFileAsync = promisify(execFile);
const COMMIT_MARKER = '_COMMIT.json';
// Tells this process's staging folders from those of an earlier process that had the same pid.
const INSTANCE = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
const OWNER_FILE = '_OWNER.json';

interface CommitPlan {
  readonly record: NewBatchRecord;
  readonly moves: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

/** Test-only failpoint: lets a crash test kill the process at a named step of a commit. */
function failpoint(name: string): void {
  if (process.env.FEATURE_STORE_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
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

  constructor(dataDir: string) {
    this.lakeDir = join(dataDir, 'lake');
    this.stagingDir = join(dataDir, 'staging');
    this.quarantineDir = join(dataDir, 'quarantine');
  }

  datasetDir(dataset: string): string {
    assertIdentifier(dataset, 'dataset');
    return join(this.lakeDir, dataset);
  }

  /** The glob DuckDB reads for a dataset's committed files. */
  filesGlob(dataset: string): string {
    return join(this.datasetDir(dataset), 'date=*', '*.parquet');
  }

  /** A DuckDB table expression over the dataset's files, or undefined while it has none. */
  async scanSql(dataset: string): Promise<string | undefined> {
    if (!(await this.hasFiles(dataset))) return undefined;
    // Every file of a dataset is written with the dataset's declared columns, in order, so
    // union_by_name (which reads every file's footer before the query starts) is not needed.
    return `read_parquet(${quoteLiteral(this.filesGlob(dataset))}, hive_partitioning = true)`;
  }

  /** True once a dataset has a committed file (partition folders only appear holding one). */
  async hasFiles(dataset: string): Promise<boolean> {
    const dir = this.datasetDir(dataset);
    if (!existsSync(dir)) return false;
    return (await readdir(dir)).some((p) => p.startsWith('date='));
  }

  /** Creates a private staging folder for one batch, stamped with this process as its owner. */
  async createStaging(batchId: string): Promise<string> {
    const dir = join(this.stagingDir, batchId);
    // The folder appears with its owner already inside, so no other process can take it for an orphan.
    const pending = join(this.stagingDir, `.${batchId}.${INSTANCE}`);
    await mkdir(pending, { recursive: true });
    await writeFile(join(pending, OWNER_FILE), JSON.stringify({ pid: process.pid, instance: INSTANCE, startedAt: new Date().toISOString() }));
    await rename(pending, dir);
    return dir;
  }

  async discardStaging(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Moves a staged batch into the lake and records it. The plan is written first, so a crash
   * anywhere after that is finished by `recover`; before it, the batch simply never happened.
   */
  async commit(dir: string, record: Omit<NewBatchRecord, 'files'>, registry: Pick<DatasetRepository, 'recordBatch'>): Promise<NewBatchRecord> {
    const staged = await listStagedFiles(dir);
    const moves = staged.map((file, i) => {
      const partition = file.split('/')[0];
      const name = staged.length > 1 && countIn(staged, partition) > 1 ? `${record.batchId}-${i}.parquet` : `${record.batchId}.parquet`;
      return { from: file, to: join(record.dataset, partition, name) };
    });
    const full: NewBatchRecord = { ...record, files: moves.map((m) => m.to) };
    await flushToDisk(dir, staged);
    failpoint('before-commit-marker');
    await writeFile(join(dir, COMMIT_MARKER), JSON.stringify({ record: full, moves } satisfies CommitPlan));
    fsyncFile(join(dir, COMMIT_MARKER));
    // (The marker's entry too: the renames below must not outlive the plan that finishes them.)
    await fsyncAsync(dir);
    await this.applyPlan(dir, { record: full, moves }, registry);
    return full;
  }

  /**
   * Finishes or discards staging folders left by crashed processes: with a commit marker the
   * batch is rolled forward, without one it is deleted. Folders of live processes are left alone.
   */
  async recover(registry: Pick<DatasetRepository, 'recordBatch'>): Promise<{ rolledForward: string[]; discarded: string[] }> {
    const rolledForward: string[] = [];
    const discarded: string[] = [];
    if (!existsSync(this.stagingDir)) return { rolledForward, discarded };
    for (const batchId of await readdir(this.stagingDir)) {
      if (batchId.startsWith('.')) continue;
      const dir = join(this.stagingDir, batchId);
      if (await ownerAlive(dir)) continue;
      const markerPath = join(dir, COMMIT_MARKER);
      if (existsSync(markerPath)) {
        const plan = JSON.parse(await readFile(markerPath, 'utf8')) as CommitPlan;
        await this.applyPlan(dir, plan, registry);
        rolledForward.push(batchId);
      } else {
        await rm(dir, { recursive: true, force: true });
        discarded.push(batchId);
      }
    }
    return { rolledForward, discarded };
  }

  private async applyPlan(dir: string, plan: CommitPlan, registry: Pick<DatasetRepository, 'recordBatch'>): Promise<void> {
    let moved = 0;
    const datasetDir = this.datasetDir(plan.record.dataset);
    await mkdir(datasetDir, { recursive: true });
    const existing = new Set(await readdir(datasetDir));
    for (const move of plan.moves) {
      const to = join(this.lakeDir, move.to);
      const partition = move.to.split('/')[1];
      const stagedPartition = join(dir, move.from.split('/')[0]);
      const named = join(stagedPartition, move.to.split('/')[2]);
      // A crash may have left the file under its staged name, under its final name in the
      // staging partition, or already in the lake.
      const from = existsSync(join(dir, move.from)) ? join(dir, move.from) : existsSync(named) ? named : null;
      if (!from) continue;
      if (!existing.has(partition) && (await readdir(stagedPartition)).length === 1) {
        // A new partition: rename the staged file to its final name inside the staging
        // partition, then move the whole folder in one step (one rename, no mkdir). Another
        // process may have created the partition meanwhile: then move the file alone.
        if (from !== named) await rename(from, named);
        try {
          await rename(stagedPartition, join(datasetDir, partition));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
          await rename(named, to);
        }
        existing.add(partition);
      } else {
        await mkdir(dirname(to), { recursive: true });
        await rename(from, to);
        existing.add(partition);
      }
      if (++moved === 1) failpoint('mid-rename');
    }
    // The renames on disk before the batch is recorded (and, for the stream, its offsets
    // committed): after a power loss the lake holds every batch the registry lists. (Every
    // folder of the plan, also those of renames a crashed run made before this recovery.)
    const partitions = [...new Set(plan.moves.map((m) => dirname(join(this.lakeDir, m.to))))].filter((d) => existsSync(d));
    await syncFolders(datasetDir, [datasetDir, ...partitions]);
    await registry.recordBatch(plan.record);
    await rm(dir, { recursive: true, force: true });
  }

  /** Where a batch's rejected rows are kept, as NDJSON. */
  quarantinePath(dataset: string, batchId: string): string {
    return join(this.quarantineDir, dataset, `${batchId}.ndjson`);
  }
}

async function listStagedFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const part of await readdir(dir)) {
    if (!part.startsWith('date=')) continue;
    for (const file of await readdir(join(dir, part))) if (file.endsWith('.parquet')) out.push(`${part}/${file}`);
  }
  return out.sort();
}

function countIn(files: readonly string[], partition: string): number {
  return files.filter((f) => f.startsWith(`${partition}/`)).length;
}

/**
 * Makes the staged files durable before they become visible. A large batch (a backfill of
 * thousands of partitions) uses one syncfs (coreutils `sync -f`), far cheaper than an fsync per
 * file but a process spawn (tens of ms of the event loop in a large process). A small one (a
 * stream's micro-batch: a few date partitions), or any where syncfs is unavailable, fsyncs each
 * file and then its folders, side by side on the thread pool.
 */
async function flushToDisk(dir: string, files: readonly string[]): Promise<void> {
  if (await syncfsWhenMany(dir, files.length)) return;
  const paths = files.map((file) => join(dir, file));
  await fsyncAll(paths);
  // The files' entries in their new partition folders, and those folders' in the batch's.
  await fsyncAll([...new Set(paths.map((path) => dirname(path)))]);
  await fsyncAsync(dir);
}

// Folders' entries to disk: one syncfs of the lake's file system when there are many (a backfill
// into thousands of partitions), else an fsync each.
async function syncFolders(anyPath: string, folders: readonly string[]): Promise<void> {
  if (!(await syncfsWhenMany(anyPath, folders.length))) await fsyncAll(folders);
}

// More than FSYNC_EACH_MAX_FILES paths to sync: one syncfs of the file system holding `anyPath`
// instead; false when there are fewer or syncfs is unavailable (the caller fsyncs each).
async function syncfsWhenMany(anyPath: string, count: number): Promise<boolean> {
  if (count <= FSYNC_EACH_MAX_FILES) return false;
  try {
    await execFileAsync('sync', ['-f', anyPath]);
    return true;
  } catch {
    return false;
  }
}

// Side by side, at most FSYNC_EACH_MAX_FILES open at once.
async function fsyncAll(paths: readonly string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += FSYNC_EACH_MAX_FILES) await Promise.all(paths.slice(i, i + FSYNC_EACH_MAX_FILES).map(fsyncAsync));
}

const FSYNC_EACH_MAX_FILES = 64;

// A file's or a folder's (its entries') data to disk.
async function fsyncAsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function ownerAlive(dir: string): Promise<boolean> {
  let owner: { pid: number; instance: string };
  try {
    owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as { pid: number; instance: string };
  } catch {
    return false;
  }
  if (owner.pid === process.pid) return owner.instance === INSTANCE;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
