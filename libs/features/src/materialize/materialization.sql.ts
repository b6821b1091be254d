import { INGESTED_AT } from '../datasets/dataset.schema';
import type { FeatureViewDefinition } from '../definitions/feature-definition';
import { ident, raw, sql, type Sql } from '../sql/sql';
import { castFeatures, columnList, keysEqual } from './columns.sql';

/** A time range with each bound inclusive or not. */
export interface TimeRange {
  readonly lo: Date;
  readonly loInclusive: boolean;
  readonly hi: Date;
  readonly hiInclusive: boolean;
}

/** A time range whose bounds may also be SQL expressions (a session constant). */
export interface TimeRangeSql {
  readonly lo: Date | Sql;
  readonly loInclusive: boolean;
  readonly hi: Date | Sql;
  readonly hiInclusive: boolean;
}

/**
 * The SELECT that materialises one range of a view version: the view's own SQL over `source`,
 * the rows with event time in the range, features cast to their declared types, and
 * `created_ts`: when the newest source row the value could depend on became known, i.e. the
 * greatest `ingested_at` among the key's stored source rows (superseded versions included) with
 * `ts` in [event time - lookback, event time] (no lower bound without a lookback). It depends only
 * on the lake, never on the window a run read, so a full and an incremental materialisation, a
 * revision and an online refresh agree (a run reads its lookback before its range, which holds
 * that interval). It is a sliding maximum: the feature rows' event times are put among the source
 * rows' times and one RANGE window over each key gives it, set-based and without a range join.
 */
export function materializationSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRange, lookback: number | null): Sql {
  const ts = ident(view.timestampColumn);
  const keyList = columnList(keys);
  return sql`WITH _f AS (SELECT * FROM (${raw(view.sql)}) WHERE ${rangeCondition(ts, range)}),
_known AS (${knownAtSql(keys, sourceTs, sql`SELECT DISTINCT ${keyList}, CAST(${ts} AS TIMESTAMPTZ) AS t FROM _f`, lookback)})
SELECT ${columnList(keys, 'f')}, CAST(f.${ts} AS TIMESTAMPTZ) AS event_ts,
  coalesce(k.created_ts, now()) AS created_ts, ${castFeatures(view, 'f')}
FROM _f AS f LEFT JOIN _known AS k ON ${keysEqual(keys, 'f', 'k')} AND CAST(f.${ts} AS TIMESTAMPTZ) = k.t`;
}

/**
 * For each (keys, t) of `points` (a relation with the key columns and `t`), `created_ts`: the
 * greatest `ingested_at` in `_source_versions` of the same key with source time in
 * [t - lookback, t] (no lower bound when lookback is null); null when there is none.
 */
export function knownAtSql(keys: readonly string[], sourceTs: string, points: Sql, lookback: number | null): Sql {
  const keyList = columnList(keys);
  // A RANGE frame needs a constant offset; the lookback is a number the program computed.
  // A RANGE frame holds the peers of a point (same t); a ROWS frame needs the feature point
  // ordered after the source rows of its time (`_p`) to see them.
  const window = lookback === null
    ? raw('ORDER BY t, _p ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW')
    : raw(`ORDER BY t RANGE BETWEEN INTERVAL '${Math.round(lookback)} milliseconds' PRECEDING AND CURRENT ROW`);
  return sql`SELECT DISTINCT ${keyList}, t, created_ts FROM (
    SELECT ${keyList}, t, _p, max(ing) OVER (PARTITION BY ${keyList} ${window}) AS created_ts
    FROM (SELECT ${keyList}, CAST(${ident(sourceTs)} AS TIMESTAMPTZ) AS t, 0 AS _p, max(${ident(INGESTED_AT)}) AS ing FROM _source_versions GROUP BY ALL
          UNION ALL SELECT ${keyList}, t, 1 AS _p, NULL AS ing FROM (${points}))
  ) WHERE _p = 1`;
}

/** SQL condition for `column` within `range` (times are bound as TIMESTAMPTZ parameters). */
export function rangeCondition(column: Sql, range: TimeRangeSql): Sql {
  return sql`${column} ${raw(range.loInclusive ? '>=' : '>')} ${range.lo} AND ${column} ${raw(range.hiInclusive ? '<=' : '<')} ${range.hi}`;
}
