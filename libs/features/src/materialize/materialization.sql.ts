import type { FeatureViewDefinition } from '../definitions/feature-definition';
import { INGESTED_AT } from '../datasets/dataset.schema';
import { quoteIdent, quoteLiteral } from '../sql/identifier';

/**
 * The SELECT that materialises one range of a view version: the view's own SQL over `source`,
 * the rows with event time in [start, end], features cast to their declared types, and
 * `created_ts`: when the newest source row the value could depend on became known (the running
 * maximum of `ingested_at` for that key up to the event time).
 */
export function materializationSelect(view: FeatureViewDefinition, keys: readonly string[], sourceTs: string, range: TimeRange): string {
  const ts = quoteIdent(view.timestampColumn);
  const keyCols = keys.map(quoteIdent);
  const features = view.features.map((f) => `CAST(f.${quoteIdent(f.name)} AS ${f.type}) AS ${quoteIdent(f.name)}`);
  const srcTs = quoteIdent(sourceTs);
  const known = `SELECT ${keyCols.join(', ')}, ${srcTs} AS ${ts},
      max(${INGESTED_AT}) OVER (PARTITION BY ${keyCols.join(', ')} ORDER BY ${srcTs} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS created_ts
    FROM source`;
  return `SELECT ${keyCols.map((k) => `f.${k}`).join(', ')}, CAST(f.${ts} AS TIMESTAMPTZ) AS event_ts,
  coalesce(k.created_ts, now()) AS created_ts, ${features.join(', ')}
FROM (${view.sql}) AS f
LEFT JOIN (${known}) AS k USING (${[...keyCols, ts].join(', ')})
WHERE ${rangeCondition(`f.${ts}`, range)}
ORDER BY event_ts, ${keyCols.map((k) => `f.${k}`).join(', ')}`;
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
