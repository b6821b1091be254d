import { randomBytes } from 'node:crypto';
import type { FeatureViewService } from '../definitions/feature-view.service';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import { ErrorCode, FeatureStoreError, InvalidArgumentError } from '../errors/feature-store.error';
import type { OfflineStoreRepository } from '../offline/offline-store.repository';
import { fileListLiteral, ident, joinSql, raw, sql } from '../sql/sql';
import { finishSummary, type ColumnStats } from './column-stats';
import { PartStatsService } from './part-stats.service';
import { exactProfile } from './stats.sql';

/** The statistics of a view version's features (the issue 17 contract). */
export interface FeatureViewStats {
  readonly view: string;
  readonly version: number;
  /** The event-time range asked for; null for the whole materialised version. */
  readonly range: { readonly start: string; readonly end: string } | null;
  /** Current rows (one per key and event time) profiled. */
  readonly rows: number;
  /** When the version was last materialised. */
  readonly updatedAt: string;
  /** True when computed from the rows (quantiles, histograms exact); false when merged from the kept records. */
  readonly exact: boolean;
  readonly features: ColumnStats[];
}

/** An optional event-time range: either bound may be missing (then the materialised range's). */
export interface StatsRange {
  readonly start?: Date;
  readonly end?: Date;
}

/**
 * Answers the statistics of a view version: for the whole version, merged from the records
 * each materialisation keeps per offline file (PartStatsService: exact count, nulls, mean, std,
 * min, max and value counts; quantiles and histogram from the sketch, within its relative
 * accuracy); for an event-time range, computed on demand and exactly in DuckDB over the current
 * rows (the row with the newest created_ts, then file, per key and event time, as the
 * point-in-time join picks it).
 */
export class FeatureStatsService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly features: Pick<FeatureViewService, 'getVersion' | 'listEntities'>,
    private readonly offline: OfflineStoreRepository,
    private readonly parts: PartStatsService = new PartStatsService(offline),
  ) {}

  /** The version's statistics; 404 for an unknown view or version, 409 when it is not materialised yet. */
  async versionStats(name: string, version: number, range: StatsRange = {}): Promise<FeatureViewStats> {
    if (range.start && range.end && range.start.getTime() > range.end.getTime()) {
      throw new InvalidArgumentError(`start (${range.start.toISOString()}) is after end (${range.end.toISOString()})`, { field: 'start' });
    }
    const record = await this.features.getVersion(name, version);
    const state = record.materialized;
    if (!state) {
      throw new FeatureStoreError(ErrorCode.Conflict, `feature view ${name} version ${version} is not materialised yet: materialise it first`, { field: 'version', reason: 'NOT_MATERIALIZED' });
    }
    const keys = (await this.features.listEntities()).find((e) => e.name === record.definition.entity)?.joinKeys ?? [];
    const base = { view: name, version, updatedAt: state.updatedAt };
    if (range.start === undefined && range.end === undefined) {
      const merged = await this.db.withSession((s) => this.parts.sync(s, record, keys, false));
      return { ...base, range: null, rows: merged.rows, exact: false, features: merged.columns.map(finishSummary) };
    }
    const start = range.start ?? new Date(state.start);
    const end = range.end ?? new Date(state.end);
    const { files } = await this.offline.files(name, version);
    const columns = PartStatsService.columnsOf(record);
    const profile = await this.db.withSession(async (s) => {
      if (files.length === 0) return exactProfile(s, sql`SELECT ${joinSql(columns.map((c) => sql`NULL::${raw(c.type)} AS ${ident(c.name)}`))} WHERE false`, columns);
      const table = raw(`_stats_rows_${randomBytes(4).toString('hex')}`);
      await s.run(sql`CREATE TEMP TABLE ${table} AS SELECT * EXCLUDE (_f) FROM read_parquet(${fileListLiteral(files)}, filename = '_f')
        WHERE event_ts >= ${start} AND event_ts <= ${end}
        QUALIFY row_number() OVER (PARTITION BY ${joinSql(keys.map((k) => ident(k)))}, event_ts ORDER BY created_ts DESC, _f DESC) = 1`);
      try {
        return await exactProfile(s, sql`SELECT * FROM ${table}`, columns);
      } finally {
        await s.run(sql`DROP TABLE IF EXISTS ${table}`);
      }
    });
    return { ...base, range: { start: start.toISOString(), end: end.toISOString() }, rows: profile.rows, exact: true, features: profile.columns };
  }
}
