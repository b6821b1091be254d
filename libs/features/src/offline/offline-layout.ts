/**
 * Names of the files in a view version's folder of the offline store. Only the offline-store
 * repository uses them: readers ask it for a version's files.
 *
 * - part `<lo>_<hi>_<run>.parquet`: one materialised range (bounds to the second, UTC);
 * - revision `rev-<source seq>_<lo>_<hi>_<run>.parquet`: rows that revise a materialised range;
 * - staging `.tmp-<run>.parquet`: a file being written, renamed to one of the above when complete;
 * - statistics `<part or revision>.parquet.stats.json`: the summary of a file's rows (libs/features/src/stats);
 * - `_compactions/`: the version's compaction journal; a merged part is named as a part, for the
 *   union of its inputs' ranges (offline-compaction.service.ts).
 */

// Revisions are named apart so that readers know from the files alone, even after a crash before
// the state is written, that a (key, event time) may have several rows. The zero-padded source
// seq orders revisions by name, for rows whose (event_ts, created_ts) tie.
const REVISION_PREFIX = 'rev-';

const SEQ_DIGITS = 15;
const PART_NAME = /^(\d{8}T\d{6}Z)_(\d{8}T\d{6}Z)_[0-9a-f]+\.parquet$/;

/** The name of a part file for the range [lo, hi]. */
export function partFileName(range: { readonly lo: Date; readonly hi: Date }, runId: string): string {
  return `${compact(range.lo)}_${compact(range.hi)}_${runId}.parquet`;
}

/** The name of a revision file written for the batches up to `sourceSeq`. */
export function revisionFileName(sourceSeq: number, range: { readonly lo: Date; readonly hi: Date }, runId: string): string {
  return `${REVISION_PREFIX}${String(sourceSeq).padStart(SEQ_DIGITS, '0')}_${partFileName(range, runId)}`;
}

/** The name a file is written under before it is complete (readers skip it). */
export function stagingFileName(runId: string): string {
  return `.tmp-${runId}.parquet`;
}

/** The name of the statistics sidecar of the part or revision file `name`. */
export function partStatsFileName(name: string): string {
  return `${name}.stats.json`;
}

/** True for the files readers read: complete Parquet files, parts and revisions. */
export function isOfflineFile(name: string): boolean {
  return name.endsWith('.parquet') && !name.startsWith('.');
}

/** True for a revision file: with one, a (key, event time) may have several rows. */
export function isRevisionFile(name: string): boolean {
  return name.startsWith(REVISION_PREFIX);
}

/** A part file's range in epoch seconds, from its name; null for any other file (revisions, staging). */
export function partRange(name: string): { lo: number; hi: number } | null {
  const m = PART_NAME.exec(name);
  if (!m) return null;
  const lo = seconds(m[1]);
  const hi = seconds(m[2]);
  return Number.isFinite(lo) && Number.isFinite(hi) ? { lo, hi } : null;
}

function compact(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function seconds(c: string): number {
  return Date.parse(`${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}Z`) / 1000;
}
