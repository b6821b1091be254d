import type { FeatureViewDefinition } from '../definitions/feature-definition';
import { INGESTED_AT } from '../datasets/dataset.schema';
import { quoteIdent, quoteLiteral } from '../sql/identifier';

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
export function materializationSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRange, oneStepPerKey = false): string {
  const ts = quoteIdent(view.timestampColumn);
  const srcTs = quoteIdent(sourceTs);
  const keyCols = keys.map(quoteIdent);
  const features = view.features.map((f) => `CAST(f.${quoteIdent(f.name)} AS ${f.type}) AS ${quoteIdent(f.name)}`);
  const steps = `SELECT ${keyCols.join(', ')}, first_ts,
      max(${INGESTED_AT}) OVER (PARTITION BY ${keyCols.join(', ')} ORDER BY first_ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS created_ts
    FROM (SELECT ${keyCols.join(', ')}, ${INGESTED_AT}, min(${srcTs}) AS first_ts FROM _source_versions GROUP BY ALL)`;
  // With one batch per key (a backfill), the step function is a constant per key: an equi-join
  // on the key gives the same answer as the ASOF join without sorting every feature row.
  const join = oneStepPerKey
    ? `LEFT JOIN (${steps}) AS k ON ${keyCols.map((c) => `f.${c} = k.${c}`).join(' AND ')} AND f.${ts} >= k.first_ts`
    : `ASOF LEFT JOIN (${steps}) AS k ON ${keyCols.map((c) => `f.${c} = k.${c}`).join(' AND ')} AND f.${ts} >= k.first_ts`;
  return `SELECT ${keyCols.map((k) => `f.${k}`).join(', ')}, CAST(f.${ts} AS TIMESTAMPTZ) AS event_ts,
  coalesce(k.created_ts, now()) AS created_ts, ${features.join(', ')}
FROM (SELECT * FROM (${view.sql}) WHERE ${rangeCondition(ts, range)}) AS f
${join}`;
}

/**
 * Each key's newest row of what materializationSelect gives for the range (an online refresh),
 * built the cheap way round: the newest row per key is taken from the view's output first, and
 * its `created_ts` is then the greatest `ingested_at` among the key's stored source rows up to its
 * event time, an aggregate over a join with one row per key. The same values: a batch's step
 * (its earliest row) is at or before the event time exactly when one of its rows is. About 0.8x
 * the time of the full select and a window over its answer, for 300 keys over 60 days.
 */
export function latestRowSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRange): string {
  const ts = quoteIdent(view.timestampColumn);
  const keyCols = keys.map(quoteIdent);
  const features = view.features.map((f) => `CAST(l.${quoteIdent(f.name)} AS ${f.type}) AS ${quoteIdent(f.name)}`);
  return `WITH _latest AS (
  SELECT * FROM (${view.sql}) WHERE ${rangeCondition(ts, range)}
  QUALIFY row_number() OVER (PARTITION BY ${keyCols.join(', ')} ORDER BY ${ts} DESC) = 1
), _known AS (
  SELECT ${keyCols.map((k) => `l.${k}`).join(', ')}, max(v.${INGESTED_AT}) AS created_ts
  FROM _latest AS l JOIN _source_versions AS v ON ${keyCols.map((k) => `v.${k} = l.${k}`).join(' AND ')} AND v.${quoteIdent(sourceTs)} <= l.${ts}
  GROUP BY ALL
)
SELECT ${keyCols.map((k) => `l.${k}`).join(', ')}, CAST(l.${ts} AS TIMESTAMPTZ) AS event_ts, coalesce(k.created_ts, now()) AS created_ts, ${features.join(', ')}
FROM _latest AS l LEFT JOIN _known AS k ON ${keyCols.map((c) => `k.${c} = l.${c}`).join(' AND ')}`;
}

/** SQL that tells whether every key has a single ingested_at in `_source_versions` (then materializationSelect may use oneStepPerKey). */
export function oneStepPerKeySql(keys: readonly string[]): string {
  const keyCols = keys.map(quoteIdent);
  return `SELECT coalesce(max(n), 0) <= 1 AS one FROM (SELECT count(DISTINCT ${INGESTED_AT}) AS n FROM _source_versions GROUP BY ${keyCols.join(', ')})`;
}

/** A time range with each bound inclusive or not. */
export interface TimeRange {
  readonly lo: Date;
  readonly loInclusive: boolean;
  readonly hi: Date;
  readonly hiInclusive: boolean;
}

/** SQL condition for `column` within `range`. */
export function rangeCondition(column: string, range: TimeRange): string {
  const lo = `TIMESTAMPTZ ${quoteLiteral(range.lo.toISOString())}`;
  const hi = `TIMESTAMPTZ ${quoteLiteral(range.hi.toISOString())}`;
  return `${column} ${range.loInclusive ? '>=' : '>'} ${lo} AND ${column} ${range.hiInclusive ? '<=' : '<'} ${hi}`;
}
