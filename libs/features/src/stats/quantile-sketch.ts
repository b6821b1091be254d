/**
 * A mergeable quantile sketch with relative accuracy (the DDSketch idea: fixed logarithmic
 * buckets). A value x with |x| > MIN_MAGNITUDE falls into bucket i = ceil(log_γ |x|) of its
 * sign, γ = (1 + α) / (1 − α); every value of bucket i lies in (γ^(i−1), γ^i], so the bucket's
 * representative 2γ^i / (γ + 1) is within α·|x| of each of them. Values nearer zero share one
 * zero bucket (represented by 0). Buckets are fixed, so two sketches merge by adding counts:
 * parts of a view version are summarised once and combined any number of times, exactly as if
 * one sketch had seen every row.
 *
 * The bucket index is computed in DuckDB (stats.sql.ts, `bucketIndexSql`) with the same formula;
 * a value on a bucket boundary rounded into the next bucket is then off by α plus a rounding.
 *
 * Guarantee (quantiles): for q, with r = q·(n − 1) and x_(k) the k-th smallest value (0-based),
 * the answer lies within α·max(|x_(⌊r⌋)|, |x_(⌈r⌉)|) (+ MIN_MAGNITUDE) of the linearly
 * interpolated quantile pandas and numpy give, and inside [min, max].
 */

/** Relative accuracy α of the sketch: 1 %. */
export const SKETCH_ALPHA = 0.01;
/** γ of the buckets. */
export const SKETCH_GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
/** Magnitudes at or below this go to the zero bucket. */
export const MIN_MAGNITUDE = 1e-12;
/**
 * Offset added to log_γ |x| so that every bucket index of a value above MIN_MAGNITUDE is
 * positive (log_γ 1e-12 ≈ −1382): index > 0 is a positive value's bucket, < 0 a negative
 * value's (mirrored), 0 the zero bucket.
 */
export const INDEX_OFFSET = 2000;

/** Bucket index → count: the sketch, as a JSON-friendly sparse map (keys are integer strings). */
export type QuantileSketch = Record<string, number>;

/** The bucket index of `x` (the same formula as bucketIndexSql). */
export function bucketIndex(x: number): number {
  const m = Math.abs(x);
  if (m <= MIN_MAGNITUDE) return 0;
  const i = Math.ceil(Math.log(m) / Math.log(SKETCH_GAMMA)) + INDEX_OFFSET;
  return x > 0 ? i : -i;
}

/** The value a bucket stands for (within α of each value in it). */
export function bucketValue(index: number): number {
  if (index === 0) return 0;
  const magnitude = (2 * Math.pow(SKETCH_GAMMA, Math.abs(index) - INDEX_OFFSET)) / (SKETCH_GAMMA + 1);
  return index > 0 ? magnitude : -magnitude;
}

/** A sketch of `values` (tests and small inputs; parts are sketched in DuckDB). */
export function sketchOf(values: Iterable<number>): QuantileSketch {
  const s: QuantileSketch = {};
  for (const v of values) {
    const k = String(bucketIndex(v));
    s[k] = (s[k] ?? 0) + 1;
  }
  return s;
}

/** The sketch of the union of the inputs' values. */
export function mergeSketches(...sketches: ReadonlyArray<QuantileSketch | null | undefined>): QuantileSketch {
  const out: QuantileSketch = {};
  for (const s of sketches) {
    if (!s) continue;
    for (const [k, n] of Object.entries(s)) out[k] = (out[k] ?? 0) + n;
  }
  return out;
}

// Buckets in value order with their cumulative counts.
function ordered(sketch: QuantileSketch): { values: number[]; upTo: number[] } {
  const entries = Object.entries(sketch)
    .map(([k, n]) => [Number(k), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => bucketValue(a[0]) - bucketValue(b[0]));
  const values: number[] = [];
  const upTo: number[] = [];
  let total = 0;
  for (const [k, n] of entries) {
    total += n;
    values.push(bucketValue(k));
    upTo.push(total);
  }
  return { values, upTo };
}

/**
 * The q-quantiles (0 ≤ q ≤ 1) of the sketch, linearly interpolated between ranks as pandas
 * does, clamped to the exact [min, max]; null when the sketch is empty.
 */
export function sketchQuantiles(sketch: QuantileSketch, qs: readonly number[], min: number, max: number): Array<number | null> {
  const { values, upTo } = ordered(sketch);
  const n = upTo.length ? upTo[upTo.length - 1] : 0;
  if (n === 0) return qs.map(() => null);
  // The value of the k-th smallest (0-based): the first bucket whose cumulative count exceeds k.
  const at = (k: number): number => {
    let lo = 0;
    let hi = upTo.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (upTo[mid] > k) hi = mid;
      else lo = mid + 1;
    }
    // The extreme ranks are the exact min and max.
    if (k === 0) return min;
    if (k === n - 1) return max;
    return values[lo];
  };
  return qs.map((q) => {
    const r = q * (n - 1);
    const lo = Math.floor(r);
    const hi = Math.ceil(r);
    const v = lo === hi ? at(lo) : at(lo) + (at(hi) - at(lo)) * (r - lo);
    return Math.min(max, Math.max(min, v));
  });
}

/**
 * `bins` equal-width bins over [min, max] (numpy's edges; one value or min = max: [min − 0.5,
 * max + 0.5] as numpy does), each bucket counted in the bin of its representative value: a value
 * lands in the bin holding a point within α·|x| of it, and the counts sum to the sketch's count.
 */
export function sketchHistogram(sketch: QuantileSketch, min: number, max: number, bins = 20): { edges: number[]; counts: number[] } {
  const edges = histogramEdges(min, max, bins);
  const counts = new Array<number>(bins).fill(0);
  const lo = edges[0];
  const width = edges[bins] - lo;
  for (const [k, n] of Object.entries(sketch)) {
    const v = Math.min(max, Math.max(min, bucketValue(Number(k))));
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / width) * bins)));
    counts[bin] += n;
  }
  return { edges, counts };
}

/** numpy.histogram's edges for `bins` bins over [min, max] (computed as numpy.linspace does, to the last bit). */
export function histogramEdges(min: number, max: number, bins = 20): number[] {
  const [lo, hi] = min === max ? [min - 0.5, max + 0.5] : [min, max];
  const step = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : i * step + lo));
}
