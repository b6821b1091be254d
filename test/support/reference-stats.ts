import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** One column's profile as pandas/numpy compute it (reference-stats.py). */
export interface ReferenceColumn {
  count: number;
  nulls: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  quantiles?: Record<string, number>;
  histogram?: { counts: number[]; edges: number[] };
  /** The non-null values, sorted (numeric columns). */
  sorted?: number[];
  values?: Record<string, number>;
}

/** What reference-stats.py takes: the files, the key columns, the columns to profile and an optional range. */
export interface ReferenceSpec {
  files: string[];
  keys: string[];
  columns: string[];
  dedupe: boolean;
  start?: string | null;
  end?: string | null;
}

/**
 * The profile of Parquet files computed by pandas and numpy, an implementation independent of
 * the store's: the current row per key and event time picked by sorting, quantiles by
 * numpy.quantile, histograms by numpy.histogram. One python3 call.
 */
export function referenceStats(spec: ReferenceSpec): { rows: number; columns: Record<string, ReferenceColumn> } {
  const out = execFileSync('python3', [join(__dirname, 'reference-stats.py'), JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as { rows: number; columns: Record<string, ReferenceColumn> };
}
