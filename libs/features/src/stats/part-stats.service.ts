import { basename } from 'node:path';
import type { DuckDbSession } from '../duckdb/duckdb.client';
import { keysEqual } from '../materialize/columns.sql';
import type { OfflineStoreRepository } from '../offline/offline-store.repository';
import { isRevisionFile } from '../offline/offline-layout';
import type { ViewVersionRecord } from '../registry/definition.repository';
import { fileListLiteral, fileLiteral, sql, type Sql } from '../sql/sql';
import { mergeSummaries, type ColumnSummary } from './column-stats';
import type { PartStatsRecord } from './part-stats.repository';
import { PartStatsRepository } from './part-stats.repository';
import { summarize, type ProfiledColumn } from './stats.sql';

/** A version's statistics merged from its files' records. */
export interface MergedVersionStats {
  readonly rows: number;
  readonly columns: ColumnSummary[];
}

/**
 * Keeps the statistics of a view version incrementally, one record per offline file.
 *
 * Why per file: a materialisation only ever adds files, so the statistics of a version are the
 * merge of its files' records (count, nulls, mean and M2 by Chan's formula, min/max, value
 * counts and a fixed-bucket quantile sketch all merge exactly, see column-stats.ts and
 * quantile-sketch.ts); a new day costs one summary of the new file, computed by the writer's
 * own DuckDB session right after it wrote the file, while its pages are still cached.
 *
 * A record summarises the file's current rows: those no later row of the same key and event
 * time supersedes (later created_ts, then later file name: the rule of the point-in-time join).
 * A revision file supersedes rows of earlier files, so after one is written the records of the
 * files holding a key and event time it holds are computed again from their current rows (the
 * revision's own included); a ledger lists the revisions every record accounts for, written
 * last, so a crash in between only leaves work that the next run (or a read, in memory) redoes.
 * Files without a record (written before statistics existed, or a crash between the file and
 * its record) are summarised the same way.
 */
export class PartStatsService {
  constructor(
    private readonly offline: Pick<OfflineStoreRepository, 'files' | 'versionDir'>,
    private readonly records: PartStatsRepository = new PartStatsRepository(),
  ) {}

  /** The profiled columns of a view version: its features. */
  static columnsOf(record: ViewVersionRecord): ProfiledColumn[] {
    return record.definition.features.map((f) => ({ name: f.name, type: f.type }));
  }

  /** Summarises the staged file `staged` (every row of a new file is current) as the record of `final`. */
  async recordStaged(session: DuckDbSession, record: ViewVersionRecord, staged: string, final: string): Promise<void> {
    const summary = await summarize(session, sql`SELECT * FROM read_parquet(${fileLiteral(staged)})`, PartStatsService.columnsOf(record));
    await this.records.put(final, summary);
  }

  /**
   * Brings the records of a version up to date (files without one, revisions not applied yet)
   * and returns them merged. `persist` false computes what is missing in memory only (a reader,
   * outside the materialisation lease, never writes records).
   */
  async sync(session: DuckDbSession, record: ViewVersionRecord, keys: readonly string[], persist: boolean): Promise<MergedVersionStats> {
    const { files } = await this.offline.files(record.name, record.version);
    const dir = this.offline.versionDir(record.name, record.version);
    const columns = PartStatsService.columnsOf(record);
    const revisions = files.filter((f) => isRevisionFile(basename(f)));
    const ledger = await this.records.ledger(dir);
    const pending = revisions.filter((f) => !ledger.has(basename(f)));
    const byFile = new Map<string, PartStatsRecord | undefined>();
    for (const f of files) byFile.set(f, await this.records.get(f));
    const stale = new Set(files.filter((f) => byFile.get(f) === undefined));
    if (pending.length) for (const f of await this.touchedBy(session, keys, files, pending)) stale.add(f);
    for (const f of stale) {
      const relation = revisions.length ? currentRowsOf(keys, f, files) : sql`SELECT * FROM read_parquet(${fileLiteral(f)})`;
      const summary = await summarize(session, relation, columns);
      if (persist) await this.records.put(f, summary);
      byFile.set(f, { format: 1, file: basename(f), ...summary });
    }
    if (persist && (pending.length || stale.size)) await this.records.putLedger(dir, revisions.map((f) => basename(f)));
    return merge(columns, [...byFile.values()].filter((r): r is PartStatsRecord => r !== undefined));
  }

  // The files (revisions included) holding a key and event time that one of `revisions` holds.
  private async touchedBy(session: DuckDbSession, keys: readonly string[], files: readonly string[], revisions: readonly string[]): Promise<string[]> {
    const rows = await session.all<{ f: string }>(sql`SELECT DISTINCT o._f AS f FROM read_parquet(${fileListLiteral(files)}, filename = '_f') AS o
      WHERE EXISTS (SELECT 1 FROM read_parquet(${fileListLiteral(revisions)}) AS r WHERE ${keysEqual(keys, 'r', 'o')} AND r.event_ts = o.event_ts)`);
    return [...new Set([...rows.map((r) => r.f), ...revisions])];
  }
}

/**
 * The rows of `file` that no row of `files` supersedes: a later created_ts for the same key and
 * event time, or the same created_ts in a later file (the point-in-time join's tie-break).
 */
export function currentRowsOf(keys: readonly string[], file: string, files: readonly string[]): Sql {
  const others = files.filter((f) => f !== file);
  if (others.length === 0) return sql`SELECT * FROM read_parquet(${fileLiteral(file)})`;
  return sql`SELECT f.* EXCLUDE (_f) FROM read_parquet(${fileLiteral(file)}, filename = '_f') AS f
    WHERE NOT EXISTS (SELECT 1 FROM read_parquet(${fileListLiteral(others)}, filename = '_f') AS o
      WHERE ${keysEqual(keys, 'o', 'f')} AND o.event_ts = f.event_ts AND (o.created_ts > f.created_ts OR (o.created_ts = f.created_ts AND o._f > f._f)))`;
}

/** The merge of the records' summaries, column by column (columns as the view defines them now). */
export function merge(columns: readonly ProfiledColumn[], records: readonly PartStatsRecord[]): MergedVersionStats {
  const empty = (c: ProfiledColumn): ColumnSummary => ({ name: c.name, type: c.type, count: 0, nulls: 0, mean: null, m2: null, min: null, max: null, sketch: null, values: null, otherValues: 0 });
  const merged = columns.map((c) => records.reduce((acc, r) => {
    const part = r.columns.find((x) => x.name === c.name);
    return part ? mergeSummaries(acc, part) : acc;
  }, empty(c)));
  return { rows: records.reduce((n, r) => n + r.rows, 0), columns: merged };
}
