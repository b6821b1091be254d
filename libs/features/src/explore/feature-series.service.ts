import type { DuckDbClient } from '../duckdb/duckdb.client';
import type { FeatureViewService } from '../definitions/feature-view.service';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import { fileListLiteral, ident, joinSql, raw, sql } from '../sql/sql';
import type { OfflineVersionReader } from '../training/offline-version.reader';

/** Most points one series read answers; a longer range is cut at its end (`truncated`). */
export const SERIES_MAX_POINTS = 200_000;

/** One entity's features over time, as the catalog UI plots them. */
export interface SeriesQuery {
  readonly view: string;
  readonly version: number;
  /** The value of the entity's (single) join key, e.g. a symbol. */
  readonly key: string;
  /** Features to read; empty for all of the version's features. */
  readonly features: readonly string[];
  readonly start: Date | null;
  readonly end: Date | null;
}

/** Columnar: `ts[i]` is the event time of `values[f][i]` for every feature f. */
export interface FeatureSeries {
  readonly view: string;
  readonly version: number;
  readonly key: Readonly<Record<string, string>>;
  readonly ts: string[];
  readonly values: Record<string, Array<number | boolean | string | null>>;
  readonly truncated: boolean;
}

/**
 * Reads one key's offline rows of a view version, one row per event time: the current one (the
 * greatest created_ts, ties to the later file, so a revision's row wins over the row it revises,
 * as in point-in-time.sql.ts). Nothing is materialised by a read: an unmaterialised version has
 * no rows.
 */
export class FeatureSeriesService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly features: Pick<FeatureViewService, 'getVersion' | 'listEntities'>,
    private readonly offline: OfflineVersionReader,
  ) {}

  /** The series of `query.features` (all when empty) for one key; 404 for an unknown view or version, 422 for an unknown feature. */
  async read(query: SeriesQuery): Promise<FeatureSeries> {
    const record = await this.features.getVersion(query.view, query.version);
    const entity = (await this.features.listEntities()).find((e) => e.name === record.definition.entity);
    const keys = entity?.joinKeys ?? [];
    if (keys.length !== 1) {
      throw new UnprocessableError(ErrorCode.InvalidArgument, `symbol: view ${query.view} is keyed by ${keys.length} columns; a series read needs a single join key`, { field: 'symbol' });
    }
    const known = record.definition.features.map((f) => f.name);
    for (const f of query.features) {
      if (!known.includes(f)) throw new UnprocessableError(ErrorCode.UnknownFeature, `features: view ${query.view} version ${query.version} has no feature ${JSON.stringify(f)} (it has ${known.join(', ')})`, { field: 'features', feature: f });
    }
    if (query.start && query.end && query.start > query.end) throw new InvalidArgumentError('start: must not be after end', { field: 'start' });
    const wanted = query.features.length ? [...new Set(query.features)] : known;
    const keyColumn = keys[0];
    const empty: FeatureSeries = { view: query.view, version: query.version, key: { [keyColumn]: query.key }, ts: [], values: Object.fromEntries(wanted.map((f) => [f, []])), truncated: false };
    const { files, hasRevisions } = await this.offline.files(query.view, query.version);
    if (files.length === 0) return empty;

    const where = [sql`${ident(keyColumn)} = ${query.key}`];
    if (query.start) where.push(sql`event_ts >= ${query.start}`);
    if (query.end) where.push(sql`event_ts <= ${query.end}`);
    const source = hasRevisions ? sql`read_parquet(${fileListLiteral(files)}, filename = '_offline_file')` : sql`read_parquet(${fileListLiteral(files)})`;
    // Without revisions a (key, event time) has one row; with them the current one is picked.
    const current = hasRevisions ? raw('QUALIFY row_number() OVER (PARTITION BY event_ts ORDER BY created_ts DESC, _offline_file DESC) = 1') : raw('');
    const columns = joinSql(wanted.map((f) => ident(f, 'features')));
    const result = await this.db.withSession((s) =>
      s.columns(sql`SELECT event_ts, ${columns} FROM ${source} WHERE ${joinSql(where, ' AND ')} ${current} ORDER BY event_ts LIMIT ${SERIES_MAX_POINTS + 1}`),
    );
    const [ts, ...values] = result.columns;
    const truncated = ts.length > SERIES_MAX_POINTS;
    const cut = <T>(column: T[]): T[] => (truncated ? column.slice(0, SERIES_MAX_POINTS) : column);
    return {
      ...empty,
      ts: cut(ts).map((ms) => new Date(ms as number).toISOString()),
      values: Object.fromEntries(wanted.map((f, i) => [f, cut(values[i]).map(jsonValue)])),
      truncated,
    };
  }
}

// BIGINT features come back as bigint (not JSON); the UI plots numbers.
function jsonValue(v: unknown): number | boolean | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}
