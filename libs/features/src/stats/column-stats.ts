import { mergeSketches, sketchHistogram, sketchQuantiles, type QuantileSketch } from './quantile-sketch';

/** The quantiles every profile reports. */
export const QUANTILES = [
  ['p1', 0.01],
  ['p5', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

/** Bins of every histogram. */
export const HISTOGRAM_BINS = 20;

/** Most frequent values a profile lists for a BOOLEAN or VARCHAR column. */
export const MAX_VALUES = 50;

/** How a column is profiled, from its DuckDB type. */
export type ColumnKind = 'numeric' | 'categorical' | 'time' | 'other';

/** The kind of a DuckDB type name (as DESCRIBE or a view definition names it). */
export function columnKind(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC|HUGEINT|U?BIGINT|U?INTEGER|U?SMALLINT|U?TINYINT|INT\d*)/.test(t)) return 'numeric';
  if (t === 'BOOLEAN' || t === 'VARCHAR') return 'categorical';
  if (t.startsWith('TIMESTAMP') || t === 'DATE') return 'time';
  return 'other';
}

/** One value's count (BOOLEAN / VARCHAR columns). */
export interface ValueCount {
  readonly value: string | boolean;
  readonly count: number;
}

/** The profile of one column (the issue 17 contract). */
export interface ColumnStats {
  readonly name: string;
  readonly type: string;
  /** Non-null values (NaN and ±Infinity count as nulls: they carry no distribution). */
  readonly count: number;
  readonly nulls: number;
  readonly mean: number | null;
  /** Sample standard deviation (ddof = 1, as pandas). */
  readonly std: number | null;
  /** Numbers for numeric columns, ISO-8601 text for times, null otherwise. */
  readonly min: number | string | null;
  readonly max: number | string | null;
  readonly quantiles: Readonly<Record<(typeof QUANTILES)[number][0], number | null>> | null;
  readonly histogram: { readonly edges: number[]; readonly counts: number[] } | null;
  /** Most frequent first, at most MAX_VALUES. */
  readonly values: ValueCount[] | null;
}

/**
 * The mergeable summary of one column over some rows (a part file's current rows): what a
 * ColumnStats is finished from. count, nulls, mean and M2 (sum of squared deviations) merge
 * exactly by Chan et al.'s formula; min and max by comparison; value counts and the quantile
 * sketch by adding counts.
 */
export interface ColumnSummary {
  readonly name: string;
  readonly type: string;
  readonly count: number;
  readonly nulls: number;
  readonly mean: number | null;
  readonly m2: number | null;
  readonly min: number | string | null;
  readonly max: number | string | null;
  readonly sketch: QuantileSketch | null;
  /** Value → count (BOOLEAN values as "true"/"false"); at most PART_VALUE_LIMIT kept per part. */
  readonly values: Record<string, number> | null;
  /** Non-null values not in `values` (a part with more distinct values than it keeps). */
  readonly otherValues: number;
}

/** The summary of the union of two summaries' rows (same column). */
export function mergeSummaries(a: ColumnSummary, b: ColumnSummary): ColumnSummary {
  const n = a.count + b.count;
  let mean: number | null = null;
  let m2: number | null = null;
  if (a.count === 0) [mean, m2] = [b.mean, b.m2];
  else if (b.count === 0) [mean, m2] = [a.mean, a.m2];
  else if (a.mean !== null && b.mean !== null && a.m2 !== null && b.m2 !== null) {
    const delta = b.mean - a.mean;
    mean = a.mean + (delta * b.count) / n;
    m2 = a.m2 + b.m2 + (delta * delta * a.count * b.count) / n;
  }
  return {
    name: a.name,
    type: a.type,
    count: n,
    nulls: a.nulls + b.nulls,
    mean,
    m2,
    min: pick(a.min, b.min, (x, y) => x < y),
    max: pick(a.max, b.max, (x, y) => x > y),
    sketch: a.sketch || b.sketch ? mergeSketches(a.sketch, b.sketch) : null,
    values: a.values || b.values ? addCounts(a.values ?? {}, b.values ?? {}) : null,
    otherValues: a.otherValues + b.otherValues,
  };
}

/** A column's profile from its merged summary (quantiles and histogram from the sketch). */
export function finishSummary(s: ColumnSummary): ColumnStats {
  const kind = columnKind(s.type);
  const base = { name: s.name, type: s.type, count: s.count, nulls: s.nulls };
  if (kind === 'numeric' && s.count > 0 && typeof s.min === 'number' && typeof s.max === 'number') {
    const q = sketchQuantiles(s.sketch ?? {}, QUANTILES.map(([, p]) => p), s.min, s.max);
    return {
      ...base,
      mean: s.mean,
      std: s.count > 1 && s.m2 !== null ? Math.sqrt(Math.max(0, s.m2) / (s.count - 1)) : null,
      min: s.min,
      max: s.max,
      quantiles: Object.fromEntries(QUANTILES.map(([k], i) => [k, q[i]])) as ColumnStats['quantiles'],
      histogram: sketchHistogram(s.sketch ?? {}, s.min, s.max, HISTOGRAM_BINS),
      values: null,
    };
  }
  const values = kind === 'categorical' ? topValues(s.values ?? {}, s.type) : null;
  const times = kind === 'time';
  return { ...base, mean: null, std: null, min: times ? s.min : null, max: times ? s.max : null, quantiles: null, histogram: null, values };
}

/** The MAX_VALUES most frequent values, most frequent first (ties by value). */
export function topValues(counts: Record<string, number>, type: string): ValueCount[] {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, MAX_VALUES)
    .map(([value, count]) => ({ value: type.toUpperCase() === 'BOOLEAN' ? value === 'true' : value, count }));
}

function pick(a: number | string | null, b: number | string | null, better: (x: number | string, y: number | string) => boolean): number | string | null {
  if (a === null) return b;
  if (b === null) return a;
  return better(b, a) ? b : a;
}

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}
