import type { DatasetService } from '../datasets/dataset.service';
import type { DatasetSchema } from '../datasets/dataset.schema';
import { silentProgress } from '../ingest/progress';
import type { LakeRepository } from '../lake/lake.repository';
import type { OfflineStoreRepository } from '../offline/offline-store.repository';
import type { ViewVersionRecord } from '../registry/definition.repository';
import type { MaterializationState } from '../registry/materialization.repository';
import { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import { materializationSelect, oneStepPerKeySql, sourceReadsUntil, type TimeRange } from './materialization.sql';
import type { PartWriter } from './part.writer';
import { changedRowsSelect, onlyTouched, touchedInstrumentsSql, TOUCHED_LIST } from './revision.sql';
import { labelCreatedPresenceSql } from './label-known.sql';
import { fileListLiteral } from '../sql/sql';
import { setSessionConstant } from '../sql/session-constant';

/** What a revision wrote: its range and file, and the rows that went online. */
export interface Revision {
  readonly range: { readonly start: string; readonly end: string; readonly rows: number; readonly file: string | null };
  readonly onlineRows: number;
}

/**
 * Revises the materialised range of a view version after later batches brought rows inside it
 * (a late bar, a corrected bar). For the instruments those rows belong to, the view is recomputed
 * from the earliest of them (with the lookback before it) to the end of the range, and every row
 * whose values differ from the stored ones, or that is new, is written to a revision file. Old
 * rows stay: the new ones carry a later created_ts (when their newest source row became known),
 * so event-mode retrieval takes the corrected values and knowledge-mode retrieval before the
 * correction still sees what was known then. Like the online refresh, it takes a view's rows of
 * one instrument to depend only on that instrument's bars.
 */
export class RevisionService {
  constructor(
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetService,
    private readonly offline: OfflineStoreRepository,
    private readonly parts: PartWriter,
    private readonly engine: { threads?: number; memoryLimit?: string } = {},
  ) {}

  /**
   * Revises `state`'s range from the lake `files` of later batches; `sourceSeq` is the batch seq
   * they reach (it orders revision files). Null when none of their rows falls inside the range.
   */
  async revise(
    record: ViewVersionRecord,
    schema: DatasetSchema,
    keys: readonly string[],
    state: MaterializationState,
    files: readonly string[],
    lookback: number | null,
    sourceSeq: number,
  ): Promise<Revision | null> {
    const view = record.definition;
    const start = new Date(state.start);
    const hi = new Date(state.end);
    const dir = await this.offline.openVersion(record.name, record.version);
    const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(view.source)], writable: [dir] }, this.engine);
    try {
      const s = sandbox.session;
      // Bars from a lookback before the range on change rows inside it (a backfill of earlier history).
      // A label's rows also change with the bars after the range (a later bar completes them).
      const label = view.kind === 'label';
      await s.run(touchedInstrumentsSql(schema, files, lookback === null ? null : new Date(start.getTime() - lookback), sourceReadsUntil(view, hi)));
      const touched = await s.one<{ n: number; since: string | null }>('SELECT count(*)::INTEGER AS n, min(since) AS since FROM _touched');
      if (!touched || touched.n === 0 || touched.since === null) return null;
      // Rows before the range are not revised here (a run computes them as a part of their own).
      // A label row changes with bars after it, up to its horizon, which the store does not know:
      // the touched instruments' rows of the whole range are recomputed (only changed ones written).
      const since = label ? start : new Date(Math.max(start.getTime(), Date.parse(String(touched.since))));
      const instruments = await setSessionConstant(s, 'revision_instruments', TOUCHED_LIST);
      const between = { from: lookback === null ? undefined : new Date(since.getTime() - lookback), to: sourceReadsUntil(view, hi) };
      const current = await this.datasets.currentRowsSql(schema, between);
      const all = await this.datasets.allRowsSql(schema, between);
      await sandbox.defineSource(schema, current && onlyTouched(current, schema, instruments), all && onlyTouched(all, schema, instruments));
      const part: TimeRange = { lo: since, loInclusive: true, hi, hiInclusive: true };
      const oneStep = (await s.one<{ one: boolean }>(oneStepPerKeySql(keys)))?.one === true;
      const computed = materializationSelect(view, keys, schema.timestampColumn, part, lookback, oneStep);
      const { files: stored } = await this.offline.files(record.name, record.version);
      const presence = label && stored.length ? await s.one<{ missing: number; files: number }>(labelCreatedPresenceSql(fileListLiteral(stored))) : undefined;
      const select = changedRowsSelect(view, keys, computed, stored, instruments, since, hi, presence);
      const written = await this.parts.write(sandbox, record, keys, part, select, silentProgress, sourceSeq);
      return { range: { start: since.toISOString(), end: hi.toISOString(), rows: written.rows, file: written.file }, onlineRows: written.onlineRows };
    } finally {
      sandbox.close();
    }
  }
}
