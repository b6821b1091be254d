import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Drift figures as the Python reference computes them (numpy quantiles, scipy's ks_2samp). */
export interface ReferenceDrift {
  readonly psi: number | null;
  readonly ks: number | null;
  readonly referenceNullRate: number | null;
  readonly currentNullRate: number | null;
  readonly referenceCount: number;
  readonly currentCount: number;
  readonly windowStart?: string;
  readonly windowEnd?: string;
}

/** Two samples to compare (null: a missing value). */
export interface SampleCase {
  readonly ref: ReadonlyArray<number | string | boolean | null>;
  readonly cur: ReadonlyArray<number | string | boolean | null>;
  readonly categorical: boolean;
}

/** A reference training set's column against a view version's offline files, over a window. */
export interface FileCase {
  readonly reference: string;
  readonly column: string;
  readonly offline: readonly string[];
  readonly keys: readonly string[];
  readonly feature: string;
  readonly windowSeconds: number;
  readonly categorical: boolean;
}

/**
 * PSI (reference deciles, `eps` for empty bins), KS and null rates computed independently by
 * test/support/drift_reference.py (one python3 call for every case).
 */
export function referenceDrift(cases: ReadonlyArray<SampleCase | FileCase>, eps: number): ReferenceDrift[] {
  const out = execFileSync('python3', [join(__dirname, 'drift_reference.py')], { input: JSON.stringify({ eps, cases }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as ReferenceDrift[];
}
