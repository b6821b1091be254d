import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { partStatsFileName } from '../offline/offline-layout';
import type { ColumnSummary } from './column-stats';

/** The summary of one offline file's current rows (the rows no later file supersedes). */
export interface PartStatsRecord {
  readonly format: 1;
  /** The Parquet file's name (in the same folder). */
  readonly file: string;
  /** Current rows of the file. */
  readonly rows: number;
  readonly columns: ColumnSummary[];
}

/** Which revision files every record of a version already accounts for. */
interface RevisionLedger {
  readonly format: 1;
  readonly revisions: string[];
}

// Not a .parquet name: offline readers never see it.
const LEDGER = 'stats-revisions.json';

/**
 * The statistics sidecars of a view version's offline files: `<part>.parquet.stats.json` next to
 * each Parquet file (removed with it by the offline store), and the ledger of revisions applied
 * to them. Each is written whole under a temporary name and renamed: readers see the old or the
 * new file, never part of one.
 */
export class PartStatsRepository {
  /** The record of the Parquet file `file` (absolute path); undefined when it has none or it is unreadable. */
  async get(file: string): Promise<PartStatsRecord | undefined> {
    const path = join(dirname(file), partStatsFileName(basename(file)));
    if (!existsSync(path)) return undefined;
    try {
      const record = JSON.parse(await readFile(path, 'utf8')) as PartStatsRecord;
      return record.format === 1 && Array.isArray(record.columns) ? record : undefined;
    } catch {
      return undefined; // computed again from the file
    }
  }

  /** Stores the record of the Parquet file `file` (which may not be in place yet: it is staged). */
  async put(file: string, record: Omit<PartStatsRecord, 'format' | 'file'>): Promise<void> {
    await atomicWrite(join(dirname(file), partStatsFileName(basename(file))), { format: 1, file: basename(file), ...record });
  }

  /** The revision files (names) the records of the version folder `dir` account for. */
  async ledger(dir: string): Promise<Set<string>> {
    const path = join(dir, LEDGER);
    if (!existsSync(path)) return new Set();
    try {
      return new Set((JSON.parse(await readFile(path, 'utf8')) as RevisionLedger).revisions);
    } catch {
      return new Set();
    }
  }

  /** Records that every record of `dir` accounts for the revision files `revisions` (names). */
  async putLedger(dir: string, revisions: readonly string[]): Promise<void> {
    await atomicWrite(join(dir, LEDGER), { format: 1, revisions: [...revisions].sort() } satisfies RevisionLedger);
  }
}

async function atomicWrite(path: string, value: unknown): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}.json`);
  try {
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
