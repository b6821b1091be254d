import type { DatasetSchema } from '../datasets/dataset.schema';
import { LABEL_CREATED_TS, type FeatureViewDefinition } from '../definitions/feature-definition';
import { quoteIdent } from '../sql/identifier';
import { fileListLiteral, ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { keysEqual } from './columns.sql';
import { labelKnownExpr } from './label-known.sql';

/**
 * Creates `_touched`: the instruments (the dataset's first key) with rows in the later batches'
 * `files` within [lo, hi] (no lower bound when `lo` is null), each with its earliest such time.
 */
export function touchedInstrumentsSql(schema: DatasetSchema, files: readonly string[], lo: Date | null, hi: Date): Sql {
  const ts = ident(schema.timestampColumn);
  const within = lo ? sql`${ts} >= ${lo} AND ${ts} <= ${hi}` : sql`${ts} <= ${hi}`;
  return sql`CREATE OR REPLACE TEMP TABLE _touched AS
    SELECT ${ident(schema.keys[0])} AS k, min(${ts}) AS since FROM read_parquet(${fileListLiteral(files)}) WHERE ${within} GROUP BY ALL`;
}

/** The list of touched instruments, for setSessionConstant. */
export const TOUCHED_LIST = sql`(SELECT list(k) FROM _touched)`;

/** `rows` (a relation's SQL) limited to the instruments in `touched` (a getvariable expression holding their list). */
export function onlyTouched(rows: string, schema: DatasetSchema, touched: string): string {
  return `SELECT * FROM (${rows}) WHERE list_contains(${touched}, ${quoteIdent(schema.keys[0])})`;
}

/**
 * The rows of `computed` (the view recomputed over [since, hi] for the touched instruments) that
 * are new or differ from the row stored for the same (key, event time) in `stored` (the version's
 * offline files), where the stored row is the one a reader answers with now: the one created last.
 * A row whose values are the same but whose created_ts moved on (a source row inside its lookback
 * arrived later) is written too, so the newest stored row is the one a materialisation from
 * scratch would store. Floating-point features count as changed beyond 1e-9, relative above 1 in magnitude (a
 * recomputation from another starting point may round differently).
 */
export function changedRowsSelect(
  view: FeatureViewDefinition,
  keys: readonly string[],
  computed: Sql,
  stored: readonly string[],
  touched: string,
  since: Date,
  hi: Date,
  labelPresence?: { readonly missing: number; readonly files: number },
): Sql {
  const on = sql`${keysEqual(keys, 'n', 'o')} AND n.event_ts = o.event_ts`;
  const differs = view.features.map((f) => {
    const c = ident(f.name);
    return ['DOUBLE', 'FLOAT', 'REAL'].includes(f.type.toUpperCase())
      ? sql`(n.${c} IS DISTINCT FROM o.${c} AND (n.${c} IS NULL OR o.${c} IS NULL OR abs(n.${c} - o.${c}) > 1e-9 * greatest(1, abs(o.${c}))))`
      : sql`n.${c} IS DISTINCT FROM o.${c}`;
  });
  // A label row whose labels became known later (a bar after it arrived or was corrected) too.
  const labelMoved = view.kind === 'label' && stored.length && labelPresence ? sql` OR n.${ident(LABEL_CREATED_TS)} > ${labelKnownExpr(labelPresence, 'o')}` : raw('');
  const latestStored = stored.length
    ? sql`(SELECT * EXCLUDE (_offline_file) FROM read_parquet(${fileListLiteral(stored)}, ${labelPresence?.missing ? raw('union_by_name = true, ') : raw('')}filename = '_offline_file')
           WHERE list_contains(${raw(touched)}, ${ident(keys[0])}) AND event_ts >= ${since} AND event_ts <= ${hi}
           QUALIFY row_number() OVER (PARTITION BY ${joinSql(keys.map((k) => ident(k)))}, event_ts ORDER BY created_ts DESC, _offline_file DESC) = 1)`
    : sql`(SELECT * FROM (${computed}) WHERE false)`;
  return sql`SELECT n.* FROM (${computed}) AS n LEFT JOIN ${latestStored} AS o ON ${on}
    WHERE o.event_ts IS NULL OR n.created_ts > o.created_ts${labelMoved} OR ${differs.length ? joinSql(differs, ' OR ') : sql`false`}`;
}
