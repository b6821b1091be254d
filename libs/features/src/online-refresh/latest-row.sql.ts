import type { FeatureViewDefinition } from '../definitions/feature-definition';
import { castFeatures, columnList, keysEqual } from '../materialize/columns.sql';
import { knownAtSql, rangeCondition, type TimeRangeSql } from '../materialize/materialization.sql';
import { ident, raw, sql, type Sql } from '../sql/sql';

/**
 * Each key's newest row of what materializationSelect gives for the range (an online refresh),
 * built the cheap way round: the newest row per key is taken from the view's output first, and
 * its `created_ts` is then computed for that one row per key, by the same rule as
 * materializationSelect (the greatest `ingested_at` among the key's source rows within the
 * lookback before the event time), so online and offline agree.
 */
export function latestRowSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRangeSql, lookback: number | null): Sql {
  const ts = ident(view.timestampColumn);
  return sql`WITH _latest AS (
  SELECT * FROM (${raw(view.sql)}) WHERE ${rangeCondition(ts, range)}
  QUALIFY row_number() OVER (PARTITION BY ${columnList(keys)} ORDER BY ${ts} DESC) = 1
), _known AS (${knownAtSql(keys, sourceTs, sql`SELECT ${columnList(keys)}, CAST(${ts} AS TIMESTAMPTZ) AS t FROM _latest`, lookback)})
SELECT ${columnList(keys, 'l')}, CAST(l.${ts} AS TIMESTAMPTZ) AS event_ts, coalesce(k.created_ts, now()) AS created_ts, ${castFeatures(view, 'l')}
FROM _latest AS l LEFT JOIN _known AS k ON ${keysEqual(keys, 'k', 'l')}`;
}
