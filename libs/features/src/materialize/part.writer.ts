import type { ProgressSink } from '../ingest/progress';
import type { OfflineStoreRepository } from '../offline/offline-store.repository';
import type { OnlineStoreDriver } from '../online/online-store.driver';
import type { ViewVersionRecord } from '../registry/definition.repository';
import type { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import { fileLiteral, sql, type Sql } from '../sql/sql';
import { PartStatsService } from '../stats/part-stats.service';
import { columnList, keysEqual } from './columns.sql';
import { toOnlineRow } from './online-row';

/** What one part write produced. */
export interface WrittenPart {
  /** Rows in the file (0: no file was kept). */
  readonly rows: number;
  readonly file: string | null;
  /** Rows newer than what the online store held. */
  readonly onlineRows: number;
  /** Keys in the file. */
  readonly keys: number;
}

/**
 * Writes one computed range of a view version: the SELECT into a new offline file (staged, and
 * renamed into place once complete, so readers never see part of it), and its newest row per key
 * to the online store.
 */
export class PartWriter {
  constructor(
    private readonly offline: OfflineStoreRepository,
    private readonly online: OnlineStoreDriver,
    /** Keeps each file's statistics record (null: none kept, for a benchmark without them). */
    readonly stats: PartStatsService | null = new PartStatsService(offline),
  ) {}

  /**
   * Runs `select` in `sandbox` into a part file for `range` (a revision file when `revisionSeq`
   * is given); no file is kept when it yields no row.
   */
  async write(
    sandbox: FeatureSqlSandbox,
    record: ViewVersionRecord,
    keys: readonly string[],
    range: { readonly lo: Date; readonly hi: Date },
    select: Sql,
    progress: ProgressSink,
    revisionSeq?: number,
  ): Promise<WrittenPart> {
    const staged = this.offline.stage(record.name, record.version, range, revisionSeq);
    const timer = setInterval(() => {
      const p = sandbox.session.progress;
      progress.update(`materialize ${record.name}@${record.version}`, p.percentage >= 0 ? p.percentage / 100 : undefined, p.rowsProcessed);
    }, 250);
    let rows: number;
    try {
      rows = await sandbox.session.run(sql`COPY (${select}) TO ${fileLiteral(staged.staging)} (FORMAT parquet)`);
    } finally {
      clearInterval(timer);
    }
    if (rows === 0) {
      await staged.discard();
      return { rows, file: null, onlineRows: 0, keys: 0 };
    }
    // A label is never served online (it is known only after its horizon).
    const online = record.definition.kind === 'label' ? { written: 0, keys: await this.keyCount(sandbox, keys, staged.staging) } : await this.pushOnline(sandbox, record, keys, staged.staging);
    // The record goes first: a file in place without one is summarised again later, never missed.
    await this.stats?.recordStaged(sandbox.session, record, staged.staging, staged.final);
    const file = await staged.commit();
    // A revision supersedes rows of earlier files: their records are brought up to date.
    if (revisionSeq !== undefined) await this.stats?.sync(sandbox.session, record, keys, true);
    return { rows, file, onlineRows: online.written, keys: online.keys };
  }

  private async keyCount(sandbox: FeatureSqlSandbox, keys: readonly string[], file: string): Promise<number> {
    const row = await sandbox.session.one<{ n: number }>(sql`SELECT count(*)::INTEGER AS n FROM (SELECT DISTINCT ${columnList(keys)} FROM read_parquet(${fileLiteral(file)}))`);
    return Number(row?.n ?? 0);
  }

  // The latest row per key of what was just computed; the store keeps whichever is newer.
  private async pushOnline(sandbox: FeatureSqlSandbox, record: ViewVersionRecord, keys: readonly string[], file: string): Promise<{ written: number; keys: number }> {
    // Rows at each key's newest event time (a join on a small aggregate beats a window or
    // max_by over wide rows); ties on event time are settled by the store (newest created_ts).
    const latest = await sandbox.session.all(
      sql`SELECT f.* FROM read_parquet(${fileLiteral(file)}) AS f
       JOIN (SELECT ${columnList(keys)}, max(event_ts) AS newest FROM read_parquet(${fileLiteral(file)}) GROUP BY ALL) AS m
         ON ${keysEqual(keys, 'f', 'm')} AND f.event_ts = m.newest`,
    );
    const featureNames = record.definition.features.map((f) => f.name);
    const written = await this.online.putLatest(record.name, record.version, latest.map((r) => toOnlineRow(r, keys, featureNames)));
    return { written, keys: latest.length };
  }
}
