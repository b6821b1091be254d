import { finishSummary, mergeSummaries, type ColumnSummary } from './column-stats';
import { bucketIndex, bucketValue, mergeSketches, SKETCH_ALPHA, sketchHistogram, sketchOf, sketchQuantiles } from './quantile-sketch';

// A deterministic pseudo-random stream (no dependency, same numbers every run).
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Brute force: sort, interpolate linearly between ranks (numpy's default, pandas' quantile).
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const r = q * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

function bound(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const r = q * (sorted.length - 1);
  return SKETCH_ALPHA * Math.max(Math.abs(sorted[Math.floor(r)]), Math.abs(sorted[Math.ceil(r)])) * 1.0001 + 1e-12;
}

// The summary a part would hold, computed here in two passes over plain numbers.
function summaryOf(values: readonly number[]): ColumnSummary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return { name: 'x', type: 'DOUBLE', count: n, nulls: 0, mean, m2: values.reduce((a, v) => a + (v - mean) ** 2, 0), min: Math.min(...values), max: Math.max(...values), sketch: sketchOf(values), values: null, otherValues: 0 };
}

describe('quantile sketch', () => {
  const next = random(17);
  const gaussian = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  const returns = Array.from({ length: 5000 }, () => 0.02 * gaussian() + 0.0005);
  const prices = Array.from({ length: 3000 }, () => 50 + 5000 * next() ** 3);
  const withZeros = [...Array.from({ length: 200 }, () => 0), ...Array.from({ length: 800 }, () => gaussian())];

  it('maps every value to a bucket whose representative is within α of it', () => {
    for (const v of [...returns, ...prices, -3.5, 1e-9, -1e-11, 1e12]) {
      const rep = bucketValue(bucketIndex(v));
      expect(Math.abs(rep - v)).toBeLessThanOrEqual(SKETCH_ALPHA * Math.abs(v) * 1.0001);
    }
    expect(bucketValue(bucketIndex(0))).toBe(0);
  });

  it.each([
    ['returns (both signs)', returns],
    ['prices (skewed)', prices],
    ['values around zero with many zeros', withZeros],
  ])('answers quantiles of %s within the stated bound of the interpolated quantile', (_name, values) => {
    const qs = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1];
    const answers = sketchQuantiles(sketchOf(values), qs, Math.min(...values), Math.max(...values));
    qs.forEach((q, i) => expect(Math.abs(answers[i]! - exactQuantile(values, q))).toBeLessThanOrEqual(bound(values, q)));
  });

  it('merges to exactly the sketch of the union, in any grouping', () => {
    const a = returns.slice(0, 1234);
    const b = returns.slice(1234, 4000);
    const c = returns.slice(4000);
    expect(mergeSketches(mergeSketches(sketchOf(a), sketchOf(b)), sketchOf(c))).toEqual(sketchOf(returns));
    expect(mergeSketches(sketchOf(c), mergeSketches(sketchOf(b), sketchOf(a)))).toEqual(sketchOf(returns));
  });

  it('merges summaries exactly: mean and sample std of the union (Chan), min, max, count', () => {
    const parts = [prices.slice(0, 10), prices.slice(10, 1500), prices.slice(1500, 1501), prices.slice(1501)];
    const merged = parts.map(summaryOf).reduce(mergeSummaries);
    const whole = summaryOf(prices);
    const stats = finishSummary(merged);
    const mean = prices.reduce((a, b) => a + b, 0) / prices.length;
    const std = Math.sqrt(prices.reduce((a, v) => a + (v - mean) ** 2, 0) / (prices.length - 1));
    expect(stats.count).toBe(prices.length);
    expect(Math.abs(stats.mean! - mean)).toBeLessThan(1e-9 * mean);
    expect(Math.abs(stats.std! - std)).toBeLessThan(1e-9 * std);
    expect([stats.min, stats.max]).toEqual([whole.min, whole.max]);
    expect(merged.sketch).toEqual(whole.sketch);
  });

  it('bins every value: 20 counts summing to the count, each value in a bin within α of it', () => {
    const { edges, counts } = sketchHistogram(sketchOf(returns), Math.min(...returns), Math.max(...returns));
    expect(edges).toHaveLength(21);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(returns.length);
    // Brute-force counts; each value may move only into a bin its ±α neighbourhood reaches.
    const exact = new Array<number>(20).fill(0);
    for (const v of returns) exact[Math.min(19, Math.floor(((v - edges[0]) / (edges[20] - edges[0])) * 20))]++;
    const width = edges[1] - edges[0];
    const movable = returns.filter((v) => edges.some((e) => Math.abs(v - e) <= SKETCH_ALPHA * Math.abs(v) + 1e-15)).length;
    const moved = counts.reduce((a, c, i) => a + Math.abs(c - exact[i]), 0) / 2;
    expect(moved).toBeLessThanOrEqual(movable);
    expect(width).toBeGreaterThan(0);
  });

  it('gives numpy-style edges around a single value', () => {
    const { edges, counts } = sketchHistogram(sketchOf([3, 3, 3]), 3, 3);
    expect([edges[0], edges[20]]).toEqual([2.5, 3.5]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
  });
});
