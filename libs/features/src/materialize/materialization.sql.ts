import { INGESTED_AT } from '../datasets/dataset.schema';
import { AVAILABLE_AT, type FeatureViewDefinition } from '../definitions/feature-definition';
import { ident, raw, sql, type Sql } from '../sql/sql';
import { castFeatures, columnList, keysEqual } from './columns.sql';
import { labelCreatedColumn, labelKnownCtes, labelKnownJoin } from './label-known.sql';

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
 * that interval). Computed as knownAtSql describes, joined straight onto the feature rows; a
 * label view's rows also get LABEL_CREATED_TS (label-known.sql.ts), which reaches to available_at;
 * `oneStepPerKey` (from oneStepPerKeySql) skips the window where every key has one ingested_at.
 */
export function materializationSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRange, lookback: number | null, oneStepPerKey = false): Sql {
  const ts = ident(view.timestampColumn);
  const at = sql`CAST(f.${ts} AS TIMESTAMPTZ)`;
  const created = raw('coalesce(w.created_ts, r.created_ts, now())');
  const forward = view.kind === 'label' && !oneStepPerKey ? sql`,
${labelKnownCtes(view, keys)}` : raw('');
  return sql`WITH _f AS (SELECT * FROM (${raw(view.sql)}) WHERE ${rangeCondition(ts, range)}),
${knownCtes(keys, sourceTs, lookback, oneStepPerKey)},
_kt_rest AS (SELECT DISTINCT ${columnList(keys, 'f')}, ${at} AS t FROM _f AS f ANTI JOIN _kt_src AS s ON ${keysEqual(keys, 'f', 's')} AND ${at} = s.t),
_kt_r AS (${restKnown(keys, lookback)})${forward}
SELECT ${columnList(keys, 'f')}, ${at} AS event_ts,
  ${created} AS created_ts, ${castFeatures(view, 'f')}${labelAvailability(view, 'f')}${labelCreatedColumn(view, created, oneStepPerKey)}
FROM _f AS f LEFT JOIN _kt_w AS w ON ${keysEqual(keys, 'f', 'w')} AND ${at} = w.t
LEFT JOIN _kt_r AS r ON ${keysEqual(keys, 'f', 'r')} AND ${at} = r.t${labelKnownJoin(view, keys, at, oneStepPerKey)}`;
}

/**
 * For each (keys, t) of `points` (distinct rows of the key columns and `t`), `created_ts`: the
 * greatest `ingested_at` in `_source_versions` of the same key with source time in
 * [t - lookback, t] (no lower bound when lookback is null); null when there is none.
 *
 * A sliding maximum, set-based: a window over each key's source times gives it at every source
 * time (`_kt_w`), and a point at a source time (nearly every feature row) takes that one by a
 * hash join. The other points are put among the source times of their keys only and get it from
 * a window of their own. With one ingested_at per key (`oneStepPerKey`), `_kt_w` is that constant.
 */
export function knownAtSql(keys: readonly string[], sourceTs: string, points: Sql, lookback: number | null, oneStepPerKey = false): Sql {
  const keyList = columnList(keys);
  return sql`WITH _kt_pts AS (${points}),
  ${knownCtes(keys, sourceTs, lookback, oneStepPerKey)},
  _kt_rest AS (SELECT * FROM _kt_pts ANTI JOIN _kt_src USING (${keyList}, t))
SELECT ${keyList}, t, w.created_ts FROM _kt_pts JOIN _kt_w AS w USING (${keyList}, t)
UNION ALL ${restKnown(keys, lookback)}`;
}

// `_kt_src`: the newest ingested_at per key and source time; `_kt_w`: the answer at each of them.
function knownCtes(keys: readonly string[], sourceTs: string, lookback: number | null, oneStepPerKey: boolean): Sql {
  const keyList = columnList(keys);
  const atSource = oneStepPerKey
    ? sql`SELECT ${keyList}, t, ing AS created_ts FROM _kt_src`
    : sql`SELECT ${keyList}, t, max(ing) OVER (PARTITION BY ${keyList} ${frame(lookback, 't')}) AS created_ts FROM _kt_src`;
  return sql`_kt_src AS (SELECT ${keyList}, CAST(${ident(sourceTs)} AS TIMESTAMPTZ) AS t, max(${ident(INGESTED_AT)}) AS ing FROM _source_versions GROUP BY ALL),
  _kt_w AS (${atSource})`;
}

// The answer for the points of `_kt_rest` (keys, t: not at a source time), among the source times of their keys.
function restKnown(keys: readonly string[], lookback: number | null): Sql {
  const keyList = columnList(keys);
  return sql`SELECT ${keyList}, t, created_ts FROM (
  SELECT ${keyList}, t, _p, max(ing) OVER (PARTITION BY ${keyList} ${frame(lookback, 't, _p')}) AS created_ts
  FROM (SELECT ${keyList}, t, 0 AS _p, ing FROM _kt_src SEMI JOIN (SELECT DISTINCT ${keyList} FROM _kt_rest) USING (${keyList})
        UNION ALL SELECT ${keyList}, t, 1 AS _p, NULL AS ing FROM _kt_rest)
) WHERE _p = 1`;
}

// The window frame of the sliding maximum. A RANGE frame needs a constant offset: the lookback is
// a number the program computed. A RANGE frame holds the peers of a point (same t); a ROWS frame
// needs the point ordered after the source time it shares (`_p`) to see it.
function frame(lookback: number | null, order: string): Sql {
  return lookback === null
    ? raw(`ORDER BY ${order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`)
    : raw(`ORDER BY t RANGE BETWEEN INTERVAL '${Math.round(lookback)} milliseconds' PRECEDING AND CURRENT ROW`);
}

/** The end of the times store runs allow (1900..2200): where a label view's source reads end. */
const LAST_TIME = new Date('2200-12-31T23:59:59.999Z');

/**
 * How far a view's source must reach to compute its rows up to `hi`: `hi` for a feature (it only
 * looks back); every bar there is for a label, whose values are the bars after its row.
 */
export function sourceReadsUntil(view: FeatureViewDefinition, hi: Date): Date {
  return view.kind === 'label' ? LAST_TIME : hi;
}

/** `, available_at` for a label view (when its labels became known; null while one is not), else nothing. */
export function labelAvailability(view: FeatureViewDefinition, alias: string): Sql {
  return view.kind === 'label' ? sql`, CAST(${raw(alias)}.${ident(AVAILABLE_AT)} AS TIMESTAMPTZ) AS ${ident(AVAILABLE_AT)}` : raw('');
}

/** SQL that tells whether every key has a single ingested_at in `_source_versions` (then materializationSelect may use oneStepPerKey). */
export function oneStepPerKeySql(keys: readonly string[]): Sql {
  return sql`SELECT coalesce(max(n), 0) <= 1 AS one FROM (SELECT count(DISTINCT ${ident(INGESTED_AT)}) AS n FROM _source_versions GROUP BY ${columnList(keys)})`;
}

/** SQL condition for `column` within `range` (times are bound as TIMESTAMPTZ parameters). */
export function rangeCondition(column: Sql, range: TimeRangeSql): Sql {
  return sql`${column} ${raw(range.loInclusive ? '>=' : '>')} ${range.lo} AND ${column} ${raw(range.hiInclusive ? '<=' : '<')} ${range.hi}`;
}
