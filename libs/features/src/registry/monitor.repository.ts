/** One feature's drift figures: reference training set against the current window of offline values. */
export interface DriftFeature {
  readonly name: string;
  /** Population stability index; null when either side has no non-null value. */
  readonly psi: number | null;
  /** Two-sample Kolmogorov-Smirnov statistic (numeric features only; null for booleans and strings). */
  readonly ks: number | null;
  readonly referenceNullRate: number | null;
  readonly currentNullRate: number | null;
  /** Non-null values on each side. */
  readonly referenceCount: number;
  readonly currentCount: number;
}

/** A monitor's last evaluation: the drift figures, each flagged when its PSI reached the monitor's psiAlert. */
export interface MonitorEvaluation {
  readonly evaluatedAt: string;
  readonly windowStart: string | null;
  readonly windowEnd: string | null;
  /** True when any feature's PSI reached psiAlert. */
  readonly alert: boolean;
  readonly features: ReadonlyArray<DriftFeature & { readonly alert: boolean }>;
}

/** A drift monitor of one view version against a reference training set. */
export interface MonitorRecord {
  readonly id: string;
  readonly view: string;
  readonly version: number;
  readonly reference: string;
  readonly window: string;
  readonly psiAlert: number;
  readonly createdAt: string;
  readonly last: MonitorEvaluation | null;
}

/**
 * Drift monitors by id. Each call changes one record; `setLast` changes only `last`, and does
 * nothing when the monitor was deleted meanwhile (an evaluation must not bring it back).
 */
export interface MonitorRepository {
  putMonitor(monitor: MonitorRecord): Promise<void>;
  getMonitor(id: string): Promise<MonitorRecord | undefined>;
  /** Every monitor, in id order. */
  listMonitors(): Promise<MonitorRecord[]>;
  /** Removes a monitor; false when there was none. */
  deleteMonitor(id: string): Promise<boolean>;
  setLast(id: string, last: MonitorEvaluation): Promise<void>;
}
