import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Generated data that several runs reuse (lakes, CSV files, entity frames): bench/.cache. */
export const CACHE_DIR = resolve(__dirname, '..', '.cache');

/** An empty folder in the cache (emptied if it exists). */
export function freshCacheDir(name: string): string {
  const dir = join(CACHE_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A fresh DATA_DIR in the cache whose lake is a link to `dataDir`'s lake: a run gets its own
 * registry, offline and online stores without copying gigabytes of bars.
 */
export function dataDirOverLake(name: string, dataDir: string): string {
  const dir = freshCacheDir(name);
  symlinkSync(join(dataDir, 'lake'), join(dir, 'lake'));
  return dir;
}
