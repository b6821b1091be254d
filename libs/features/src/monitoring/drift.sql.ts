import { fileListLiteral, ident, joinSql, raw, sql, type Sql } from '../sql/sql';

/** Probability given to a bin or category one side has no value in, so that ln(cur/ref) stays finite. */
export const PSI_EPSILON = 1e-4;

/** Deciles of the reference: 9 inner edges, so 10 bins whose first and last are open-ended. */
const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * The current offline rows of a view version: per (keys, event_ts) the row with the greatest
 * created_ts, ties to the greatest file name (a revision file's rows win over the rows they
 * revise, as revision.sql.ts picks them), restricted by `where` (over keys, event_ts).
 */
export function currentOfflineRowsSql(files: readonly string[], keys: readonly string[], where: Sql): Sql {
  const partition = joinSql([...keys.map((k) => ident(k, 'key')), raw('event_ts')]);
  return sql`(SELECT * EXCLUDE (_offline_file) FROM read_parquet(${fileListLiteral(files)}, filename = '_offline_file', union_by_name = true)
    WHERE ${where}
    QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY created_ts DESC, _offline_file DESC) = 1)`;
}

/** What one drift query answers for one feature. */
export interface DriftFigures {
  readonly ref_rows: number;
  readonly ref_count: number;
  readonly cur_rows: number;
  readonly cur_count: number;
  readonly psi: number | null;
  readonly ks: number | null;
}

// The non-null values of a column of `table`; a NaN counts as missing (it has no place in a
// distribution and DuckDB sorts it above +inf).
function values(table: string, column: Sql, numeric: boolean): Sql {
  const v = numeric ? sql`CAST(${column} AS DOUBLE)` : sql`CAST(${column} AS VARCHAR)`;
  const keep = numeric ? raw('v IS NOT NULL AND NOT isnan(v)') : raw('v IS NOT NULL');
  return sql`(SELECT v FROM (SELECT ${v} AS v FROM ${raw(table)}) WHERE ${keep})`;
}

/**
 * PSI over the reference's deciles and the exact two-sample KS statistic (sup |F_ref - F_cur|
 * over every value either side holds, as scipy's ks_2samp) of one numeric feature: reference
 * column `refColumn` of table `refTable` against `curColumn` of `curTable`.
 */
export function numericDriftSql(refTable: string, refColumn: Sql, curTable: string, curColumn: Sql): Sql {
  // Bin i holds (edge[i-1], edge[i]]: the number of edges below the value.
  const bin = raw(DECILES.map((_, i) => `(v > q.e[${i + 1}])::INTEGER`).join(' + '));
  return sql`WITH rn AS ${values(refTable, refColumn, true)}, cn AS ${values(curTable, curColumn, true)},
  n AS (SELECT (SELECT count(*) FROM rn) AS nr, (SELECT count(*) FROM cn) AS nc),
  q AS (SELECT quantile_cont(v, ${raw(`[${DECILES.join(', ')}]`)}) AS e FROM rn),
  rb AS (SELECT ${bin} AS b, count(*) AS k FROM rn, q GROUP BY b),
  cb AS (SELECT ${bin} AS b, count(*) AS k FROM cn, q GROUP BY b),
  p AS (
    SELECT CASE WHEN coalesce(rb.k, 0) = 0 THEN ${PSI_EPSILON} ELSE rb.k / n.nr END AS pr,
           CASE WHEN coalesce(cb.k, 0) = 0 THEN ${PSI_EPSILON} ELSE cb.k / n.nc END AS pc
    FROM range(10) bins(b) CROSS JOIN n LEFT JOIN rb ON rb.b = bins.b LEFT JOIN cb ON cb.b = bins.b),
  g AS (SELECT v, sum(r) AS r, sum(c) AS c FROM (SELECT v, 1 AS r, 0 AS c FROM rn UNION ALL SELECT v, 0, 1 FROM cn) GROUP BY v),
  cdf AS (SELECT sum(r) OVER (ORDER BY v) / n.nr AS fr, sum(c) OVER (ORDER BY v) / n.nc AS fc FROM g CROSS JOIN n)
SELECT (SELECT count(*) FROM ${raw(refTable)}) AS ref_rows, n.nr AS ref_count, (SELECT count(*) FROM ${raw(curTable)}) AS cur_rows, n.nc AS cur_count,
  (SELECT sum((pc - pr) * ln(pc / pr)) FROM p) AS psi, (SELECT max(abs(fr - fc)) FROM cdf) AS ks
FROM n`;
}

/** PSI over the categories either side holds (booleans and strings); KS does not apply. */
export function categoricalDriftSql(refTable: string, refColumn: Sql, curTable: string, curColumn: Sql): Sql {
  return sql`WITH rn AS ${values(refTable, refColumn, false)}, cn AS ${values(curTable, curColumn, false)},
  n AS (SELECT (SELECT count(*) FROM rn) AS nr, (SELECT count(*) FROM cn) AS nc),
  rc AS (SELECT v, count(*) AS k FROM rn GROUP BY v),
  cc AS (SELECT v, count(*) AS k FROM cn GROUP BY v),
  p AS (
    SELECT CASE WHEN coalesce(rc.k, 0) = 0 THEN ${PSI_EPSILON} ELSE rc.k / n.nr END AS pr,
           CASE WHEN coalesce(cc.k, 0) = 0 THEN ${PSI_EPSILON} ELSE cc.k / n.nc END AS pc
    FROM rc FULL OUTER JOIN cc ON rc.v = cc.v CROSS JOIN n)
SELECT (SELECT count(*) FROM ${raw(refTable)}) AS ref_rows, n.nr AS ref_count, (SELECT count(*) FROM ${raw(curTable)}) AS cur_rows, n.nc AS cur_count,
  (SELECT sum((pc - pr) * ln(pc / pr)) FROM p) AS psi, NULL::DOUBLE AS ks
FROM n`;
}
