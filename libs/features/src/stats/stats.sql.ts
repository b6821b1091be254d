import type { DuckDbSession } from '../duckdb/duckdb.client';
import { quoteSourceColumn } from '../sql/identifier';
import { joinSql, raw, sql, type Sql } from '../sql/sql';
import { columnKind, HISTOGRAM_BINS, QUANTILES, topValues, type ColumnStats, type ColumnSummary } from './column-stats';
import { histogramEdges, INDEX_OFFSET, MIN_MAGNITUDE, SKETCH_GAMMA } from './quantile-sketch';

/** A column to profile: its name and DuckDB type. */
export interface ProfiledColumn {
  readonly name: string;
  readonly type: string;
}

/** Distinct values a part's summary keeps per column (the rest is counted in `otherValues`). */
export const PART_VALUE_LIMIT = 1000;

// A profiled column by name: a training set's columns may be any name its entity frame had,
// so the name is quoted with its quotes escaped rather than checked against the whitelist.
function column(name: string): Sql {
  return raw(quoteSourceColumn(name));
}

// Numbers as DOUBLE, with NaN and ±Infinity as NULL (no distribution to speak of); others as they are.
function valueOf(c: ProfiledColumn): Sql {
  const col = column(c.name);
  return columnKind(c.type) === 'numeric' ? sql`CASE WHEN isfinite(CAST(${col} AS DOUBLE)) THEN CAST(${col} AS DOUBLE) END` : col;
}

// The sketch bucket of v, as bucketIndex in quantile-sketch.ts computes it.
function bucketIndexSql(v: Sql): Sql {
  // Exponent form: DuckDB reads it as the same DOUBLE (a decimal literal would go through DECIMAL).
  const lnGamma = raw(Math.log(SKETCH_GAMMA).toExponential());
  return sql`CAST(CASE WHEN abs(${v}) <= ${raw(String(MIN_MAGNITUDE))} THEN 0 ELSE sign(${v}) * (ceil(ln(abs(${v})) / ${lnGamma}) + ${raw(String(INDEX_OFFSET))}) END AS INTEGER)`;
}

// `v<i>` per column over `relation`: the values the aggregates read.
function valuesRelation(relation: Sql, columns: readonly ProfiledColumn[]): Sql {
  return sql`(SELECT ${joinSql(columns.map((c, i) => sql`${valueOf(c)} AS ${raw(`v${i}`)}`))} FROM (${relation}) AS _rel) AS _vals`;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const extreme = (v: unknown, kind: string): number | string | null => (v === null || v === undefined ? null : kind === 'numeric' ? Number(v) : kind === 'time' ? String(v) : null);

// count, nulls and (by kind) moments and extremes of every column, in one scan.
async function aggregates(s: DuckDbSession, relation: Sql, columns: readonly ProfiledColumn[], exact: boolean): Promise<{ rows: number; agg: Row }> {
  const parts: Sql[] = [raw('count(*) AS _rows')];
  columns.forEach((c, i) => {
    const v = raw(`v${i}`);
    const kind = columnKind(c.type);
    parts.push(sql`count(${v}) AS ${raw(`n${i}`)}`);
    if (kind === 'numeric') {
      parts.push(sql`avg(${v}) AS ${raw(`mean${i}`)}`, sql`var_pop(${v}) * count(${v}) AS ${raw(`m2_${i}`)}`);
      if (exact) {
        parts.push(sql`stddev_samp(${v}) AS ${raw(`std${i}`)}`);
        parts.push(sql`quantile_cont(${v}, ${raw(`[${QUANTILES.map(([, q]) => q).join(', ')}]`)}) AS ${raw(`q${i}`)}`);
      }
    }
    if (kind === 'numeric' || kind === 'time') parts.push(sql`min(${v}) AS ${raw(`lo${i}`)}`, sql`max(${v}) AS ${raw(`hi${i}`)}`);
  });
  const agg = (await s.one<Row>(sql`SELECT ${joinSql(parts)} FROM ${valuesRelation(relation, columns)}`)) ?? {};
  return { rows: Number(agg._rows ?? 0), agg };
}

// Value → count of the categorical columns, the PART_VALUE_LIMIT most frequent per column.
async function valueCounts(s: DuckDbSession, relation: Sql, columns: readonly ProfiledColumn[]): Promise<Map<number, Record<string, number>>> {
  const cats = columns.map((c, i) => [c, i] as const).filter(([c]) => columnKind(c.type) === 'categorical');
  const out = new Map<number, Record<string, number>>(cats.map(([, i]) => [i, {}]));
  if (cats.length === 0) return out;
  const projected = sql`SELECT ${joinSql(cats.map(([c, i]) => sql`CAST(${column(c.name)} AS VARCHAR) AS ${raw(`c${i}`)}`))} FROM (${relation}) AS _rel`;
  const rows = await s.all<{ col: string; val: string; n: number }>(
    sql`SELECT col, val, n FROM (SELECT col, val, count(*) AS n FROM (UNPIVOT (${projected}) ON COLUMNS(*) INTO NAME col VALUE val) GROUP BY ALL)
        QUALIFY row_number() OVER (PARTITION BY col ORDER BY n DESC, val) <= ${PART_VALUE_LIMIT}`,
  );
  for (const r of rows) out.get(Number(r.col.slice(1)))![r.val] = Number(r.n);
  return out;
}

/**
 * The mergeable summary (ColumnSummary) of each column over `relation`: exact count, nulls,
 * mean, M2, min and max, value counts, and the quantile sketch of the numbers. Three scans at
 * most (aggregates, sketch buckets, value counts), each reading only the profiled columns.
 */
export async function summarize(s: DuckDbSession, relation: Sql, columns: readonly ProfiledColumn[]): Promise<{ rows: number; columns: ColumnSummary[] }> {
  if (columns.length === 0) return { rows: Number((await s.one<{ n: number }>(sql`SELECT count(*) AS n FROM (${relation})`))?.n ?? 0), columns: [] };
  const { rows, agg } = await aggregates(s, relation, columns, false);
  const numeric = columns.map((c, i) => [c, i] as const).filter(([c]) => columnKind(c.type) === 'numeric');
  const sketches = new Map<number, Record<string, number>>(numeric.map(([, i]) => [i, {}]));
  if (numeric.length) {
    const projected = sql`SELECT ${joinSql(numeric.map(([, i]) => sql`${bucketIndexSql(raw(`v${i}`))} AS ${raw(`c${i}`)}`))} FROM ${valuesRelation(relation, columns)}`;
    const buckets = await s.all<{ col: string; idx: number; n: number }>(sql`SELECT col, idx, count(*) AS n FROM (UNPIVOT (${projected}) ON COLUMNS(*) INTO NAME col VALUE idx) GROUP BY ALL`);
    for (const b of buckets) sketches.get(Number(b.col.slice(1)))![String(b.idx)] = Number(b.n);
  }
  const values = await valueCounts(s, relation, columns);
  return {
    rows,
    columns: columns.map((c, i) => {
      const kind = columnKind(c.type);
      const count = Number(agg[`n${i}`] ?? 0);
      const kept = values.get(i);
      const keptCount = kept ? Object.values(kept).reduce((a, b) => a + b, 0) : 0;
      return {
        name: c.name,
        type: c.type,
        count,
        nulls: rows - count,
        mean: kind === 'numeric' ? num(agg[`mean${i}`]) : null,
        m2: kind === 'numeric' ? num(agg[`m2_${i}`]) : null,
        min: extreme(agg[`lo${i}`], kind),
        max: extreme(agg[`hi${i}`], kind),
        sketch: sketches.get(i) ?? null,
        values: kept ?? null,
        otherValues: kept ? count - keptCount : 0,
      };
    }),
  };
}

/**
 * The exact profile (ColumnStats) of each column over `relation`, in DuckDB: quantiles by
 * quantile_cont (pandas' linear interpolation), histograms binned as numpy.histogram bins (by
 * its edges), value counts complete. `relation` should be a table (it is read three times).
 */
export async function exactProfile(s: DuckDbSession, relation: Sql, columns: readonly ProfiledColumn[]): Promise<{ rows: number; columns: ColumnStats[] }> {
  if (columns.length === 0) return { rows: Number((await s.one<{ n: number }>(sql`SELECT count(*) AS n FROM (${relation})`))?.n ?? 0), columns: [] };
  const { rows, agg } = await aggregates(s, relation, columns, true);
  const histograms = await exactHistograms(s, relation, columns, agg);
  const values = await valueCounts(s, relation, columns);
  return {
    rows,
    columns: columns.map((c, i): ColumnStats => {
      const kind = columnKind(c.type);
      const count = Number(agg[`n${i}`] ?? 0);
      const base = { name: c.name, type: c.type, count, nulls: rows - count };
      if (kind === 'numeric' && count > 0) {
        const q = (agg[`q${i}`] as unknown[] | null) ?? [];
        return {
          ...base,
          mean: num(agg[`mean${i}`]),
          std: count > 1 ? num(agg[`std${i}`]) : null,
          min: num(agg[`lo${i}`]),
          max: num(agg[`hi${i}`]),
          quantiles: Object.fromEntries(QUANTILES.map(([k], j) => [k, num(q[j])])) as ColumnStats['quantiles'],
          histogram: histograms.get(i) ?? null,
          values: null,
        };
      }
      const kept = values.get(i);
      return {
        ...base,
        mean: null,
        std: null,
        min: kind === 'time' ? extreme(agg[`lo${i}`], kind) : null,
        max: kind === 'time' ? extreme(agg[`hi${i}`], kind) : null,
        quantiles: null,
        histogram: null,
        values: kept ? topValues(kept, c.type) : null,
      };
    }),
  };
}

// Each numeric column's counts in numpy's bins over its exact [min, max]: a value goes to the
// bin whose edges hold it (the last bin closed), as numpy settles values on an edge.
async function exactHistograms(s: DuckDbSession, relation: Sql, columns: readonly ProfiledColumn[], agg: Row): Promise<Map<number, { edges: number[]; counts: number[] }>> {
  const out = new Map<number, { edges: number[]; counts: number[] }>();
  const numeric = columns.map((c, i) => i).filter((i) => columnKind(columns[i].type) === 'numeric' && Number(agg[`n${i}`] ?? 0) > 0);
  for (const i of numeric) out.set(i, { edges: histogramEdges(Number(agg[`lo${i}`]), Number(agg[`hi${i}`]), HISTOGRAM_BINS), counts: new Array<number>(HISTOGRAM_BINS).fill(0) });
  if (numeric.length === 0) return out;
  const bins = HISTOGRAM_BINS;
  // Edges are finite numbers computed here, written in exponent form: DuckDB reads that as a
  // DOUBLE to the last bit (a plain decimal literal would go through DECIMAL and may round).
  const edgesTable = joinSql(numeric.map((i) => sql`(${`c${i}`}, ${raw(`[${out.get(i)!.edges.map((e) => e.toExponential()).join(', ')}]::DOUBLE[]`)})`));
  const projected = sql`SELECT ${joinSql(numeric.map((i) => sql`${raw(`v${i}`)} AS ${raw(`c${i}`)}`))} FROM ${valuesRelation(relation, columns)}`;
  const rows = await s.all<{ col: string; bin: number; n: number }>(sql`
    WITH u AS (UNPIVOT (${projected}) ON COLUMNS(*) INTO NAME col VALUE v),
    e AS (SELECT * FROM (VALUES ${edgesTable}) AS t(col, edges)),
    guess AS (SELECT u.col, u.v, e.edges, CAST(least(${bins - 1}, greatest(0, floor((u.v - e.edges[1]) / (e.edges[${bins + 1}] - e.edges[1]) * ${bins}))) AS INTEGER) AS b FROM u JOIN e USING (col))
    SELECT col, greatest(0, b - CAST(v < edges[b + 1] AS INTEGER) + CAST(v >= edges[b + 2] AND b < ${bins - 1} AS INTEGER)) AS bin, count(*) AS n FROM guess GROUP BY ALL`);
  for (const r of rows) out.get(Number(r.col.slice(1)))!.counts[Number(r.bin)] += Number(r.n);
  return out;
}
