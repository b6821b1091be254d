import { INGESTED_AT } from '../datasets/dataset.schema';
import { AVAILABLE_AT, type FeatureViewDefinition } from '../definitions/feature-definition';
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
 * greatest `ingested_at` among the key's source rows up to the event time. That running maximum
 * is a step function with one step per (key, batch), so it is built from a small aggregate and
 * attached with an ASOF join instead of a window over every source row. The aggregate reads every
 * stored version (`_source_versions`) rather than `source`: a superseded row's ingested_at is
 * below its replacement's, so the maximum is the same, and the deduplicating window is not run
 * a second time.
 */
export function materializationSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRange, oneStepPerKey = false): Sql {
  const ts = ident(view.timestampColumn);
  const keyList = columnList(keys);
  const ingestedAt = ident(INGESTED_AT);
  const steps = sql`SELECT ${keyList}, first_ts,
      max(${ingestedAt}) OVER (PARTITION BY ${keyList} ORDER BY first_ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS created_ts
    FROM (SELECT ${keyList}, ${ingestedAt}, min(${ident(sourceTs)}) AS first_ts FROM _source_versions GROUP BY ALL)`;
  // With one batch per key (a backfill), the step function is a constant per key: an equi-join
  // on the key gives the same answer as the ASOF join without sorting every feature row.
  const join = raw(oneStepPerKey ? 'LEFT JOIN' : 'ASOF LEFT JOIN');
  return sql`SELECT ${columnList(keys, 'f')}, CAST(f.${ts} AS TIMESTAMPTZ) AS event_ts,
  coalesce(k.created_ts, now()) AS created_ts, ${castFeatures(view, 'f')}${labelAvailability(view, 'f')}
FROM (SELECT * FROM (${raw(view.sql)}) WHERE ${rangeCondition(ts, range)}) AS f
${join} (${steps}) AS k ON ${keysEqual(keys, 'f', 'k')} AND f.${ts} >= k.first_ts`;
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
