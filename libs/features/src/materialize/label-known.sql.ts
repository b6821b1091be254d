import { AVAILABLE_AT, LABEL_CREATED_TS, type FeatureViewDefinition } from '../definitions/feature-definition';
import { ident, raw, sql, type Sql } from '../sql/sql';
import { columnList, keysEqual } from './columns.sql';

/**
 * The CTE `_kl` (keys, t, fwd) for a label view's rows in `_f`: per row, the newest ingested_at
 * among the key's source times after its event time t up to its available_at (up to the key's
 * last source time while available_at is null, since every later bar may still complete it).
 * With the backward created_ts (materialization.sql.ts) it makes LABEL_CREATED_TS, which depends
 * only on the lake, like created_ts: a full and an incremental materialisation agree.
 *
 * How: the rows' points are put among the key's source times (`_kt_src`, ordered by t, a point
 * after a source time it shares), each point's frame reaches to the last entry with t <= its
 * available_at (an ASOF JOIN finds that entry's position), and one sliding maximum with a frame
 * as long as each point needs answers them all: no join of every label row with its window.
 */
export function labelKnownCtes(view: FeatureViewDefinition, keys: readonly string[]): Sql {
  const k = columnList(keys);
  const ts = ident(view.timestampColumn);
  const at = ident(AVAILABLE_AT);
  return sql`_kl_pts AS (SELECT ${k}, CAST(${ts} AS TIMESTAMPTZ) AS t, max(CAST(${at} AS TIMESTAMPTZ)) AS a FROM _f GROUP BY ALL),
_kl_ix AS (
  SELECT *, row_number() OVER (PARTITION BY ${k} ORDER BY t, _p) AS ix, count(*) OVER (PARTITION BY ${k}) AS n
  FROM (SELECT ${k}, t, 0 AS _p, ing, NULL::TIMESTAMPTZ AS a FROM _kt_src SEMI JOIN (SELECT DISTINCT ${k} FROM _kl_pts) USING (${k})
        UNION ALL SELECT ${k}, t, 1 AS _p, NULL AS ing, a FROM _kl_pts)
),
_kl_last AS (SELECT ${k}, t, max(ix) AS ix FROM _kl_ix GROUP BY ALL),
_kl_span AS (
  SELECT p.*, CASE WHEN p._p = 0 THEN 0 WHEN p.a IS NULL THEN p.n - p.ix ELSE greatest(0, coalesce(l.ix, p.ix) - p.ix) END AS ahead
  FROM _kl_ix AS p ASOF LEFT JOIN _kl_last AS l ON ${keysEqual(keys, 'p', 'l')} AND p.a >= l.t
),
_kl AS (
  SELECT ${k}, t, fwd FROM (
    SELECT ${k}, t, _p, max(ing) OVER (PARTITION BY ${k} ORDER BY t, _p ROWS BETWEEN CURRENT ROW AND ahead FOLLOWING) AS fwd FROM _kl_span
  ) WHERE _p = 1
)`;
}

/**
 * `, label_created_ts` of a label view's row (`f`, joined with `_kl` as `kl`) given its backward
 * created_ts; nothing for a feature view. With one ingested_at per key (`oneStepPerKey`) both are it.
 */
export function labelCreatedColumn(view: FeatureViewDefinition, createdTs: Sql, oneStepPerKey: boolean): Sql {
  if (view.kind !== 'label') return raw('');
  return oneStepPerKey ? sql`, ${createdTs} AS ${ident(LABEL_CREATED_TS)}` : sql`, greatest(${createdTs}, kl.fwd) AS ${ident(LABEL_CREATED_TS)}`;
}

/** The join of `_kl` onto a label view's rows `f` (nothing for a feature view or with one ingested_at per key). */
export function labelKnownJoin(view: FeatureViewDefinition, keys: readonly string[], at: Sql, oneStepPerKey: boolean): Sql {
  return view.kind === 'label' && !oneStepPerKey ? sql`\nLEFT JOIN _kl AS kl ON ${keysEqual(keys, 'f', 'kl')} AND ${at} = kl.t` : raw('');
}

/**
 * Label offline files written before label rows had LABEL_CREATED_TS: SQL answering `missing`
 * (files without the column) and `files`, from the Parquet footers only.
 */
export function labelCreatedPresenceSql(files: Sql): Sql {
  return sql`SELECT count(DISTINCT file_name) FILTER (WHERE NOT has)::INTEGER AS missing, count(DISTINCT file_name)::INTEGER AS files
FROM (SELECT file_name, bool_or(name = ${LABEL_CREATED_TS}) AS has FROM parquet_schema(${files}) GROUP BY file_name)`;
}

/**
 * When a label row's labels became known, for files of which `missing` of `files` lack
 * LABEL_CREATED_TS (read with union_by_name when some do): created_ts stands in there.
 */
export function labelKnownExpr(presence: { readonly missing: number; readonly files: number }, alias?: string): Sql {
  const col = (c: string) => (alias ? sql`${raw(alias)}.${ident(c)}` : ident(c));
  if (presence.missing === 0) return col(LABEL_CREATED_TS);
  return presence.missing === presence.files ? col('created_ts') : sql`coalesce(${col(LABEL_CREATED_TS)}, ${col('created_ts')})`;
}
