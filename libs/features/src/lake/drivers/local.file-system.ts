import { execFile } from 'node:child_process';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { LakeFileSystem } from '../lake.file-system';

const execFileAsync = promisify(execFile);

// Above this many paths one syncfs of the whole file system is cheaper than an fsync each; also
// the most fsyncs in flight at once.
const FSYNC_EACH_MAX = 64;

/** The lake on a local (POSIX) file system. */
export class LocalFileSystem implements LakeFileSystem {
  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async makeDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  }

  readText(path: string): Promise<string> {
    return readFile(path, 'utf8');
  }

  writeText(path: string, text: string): Promise<void> {
    return writeFile(path, text);
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  remove(path: string): Promise<void> {
    return rm(path, { recursive: true, force: true });
  }

  /**
   * A large set (a backfill into thousands of partitions) uses one syncfs (coreutils `sync -f`):
   * far cheaper than an fsync per path, but a process spawn (tens of ms of the event loop in a
   * large process). A small one (a stream's micro-batch), or any where syncfs is unavailable,
   * fsyncs each path, side by side on the thread pool.
   */
  async sync(paths: readonly string[]): Promise<void> {
    if (paths.length > FSYNC_EACH_MAX && (await syncfs(paths[0]))) return;
    for (let i = 0; i < paths.length; i += FSYNC_EACH_MAX) await Promise.all(paths.slice(i, i + FSYNC_EACH_MAX).map(fsync));
  }
}

async function syncfs(anyPath: string): Promise<boolean> {
  try {
    await execFileAsync('sync', ['-f', anyPath]);
    return true;
  } catch {
    return false;
  }
}

// A file's data, or a folder's entries, to disk.
async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
