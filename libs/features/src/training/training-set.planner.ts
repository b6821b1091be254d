import type { MaterializationState } from '../registry/materialization.repository';

/**
 * The TTL-window join is chosen while a TTL window holds at most this many offline rows of a key
 * on average (daily bars with a TTL of days: about 6); beyond it the join multiplies rows and the
 * ASOF JOIN wins. Measured on 12.6M daily bars, 1M entity rows, 3 views: the join alone 7.9 s
 * and 0.9 GiB against 13.1 s and 4.0 GiB for a hand-written ASOF JOIN; see `npm run bench --
 * training-set` for the whole path.
 */
export const WINDOW_JOIN_MAX_CANDIDATES = 32;

/** What the plan of one view version is chosen from. */
export interface PlanInputs {
  readonly ttlSeconds: number | null;
  /** Rows in the version's offline files. */
  readonly offlineRows: number;
  readonly entityRows: number;
  /** The version's materialisation state (its time span and key count), if it has one. */
  readonly state: MaterializationState | undefined;
}

/** How one view version is joined (see PitViewInput.windowJoin and .prefilter). */
export interface JoinPlan {
  readonly windowJoin: boolean;
  readonly prefilter: boolean;
}

/** Chooses the join of one view version from its sizes: same answers either way, different cost. */
export function chooseJoinPlan(input: PlanInputs): JoinPlan {
  const { ttlSeconds, offlineRows, entityRows, state } = input;
  const windowJoin =
    ttlSeconds !== null && ttlSeconds > 0 && offlineRows > 0 && state !== undefined && windowCandidates(offlineRows, state.keys, state, ttlSeconds) <= WINDOW_JOIN_MAX_CANDIDATES;
  // An entity row's TTL window spans at most two TTL-wide buckets: when those windows are few
  // next to the offline rows, dropping the rows outside them first pays off.
  const prefilter = !windowJoin && 2 * entityRows < 0.1 * offlineRows;
  return { windowJoin, prefilter };
}

/** Offline rows of one key the TTL-window join looks at per entity row: two TTL-wide buckets' worth. */
export function windowCandidates(rows: number, keys: number, state: Pick<MaterializationState, 'start' | 'end'>, ttlSeconds: number): number {
  const spanSeconds = Math.max(ttlSeconds, (Date.parse(state.end) - Date.parse(state.start)) / 1000);
  return (rows / Math.max(1, keys)) * ((2 * ttlSeconds) / spanSeconds);
}
