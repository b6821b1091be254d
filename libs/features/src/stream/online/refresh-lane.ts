import type { RecentRowsCache } from '../../online-refresh/recent-rows.cache';
import type { PendingEntry } from '../../registry/stream-checkpoint.repository';

/** One streaming view version's online refresh: the symbols waiting for it, and the runner that refreshes it. */
export interface RefreshLane {
  readonly view: string;
  readonly version: number;
  runner: RefreshRunner;
  /** Milliseconds of the view's SQL and online write in its last refresh (passes run the cheapest first; unknown: last). */
  costMs: number;
  pending: Map<string, PendingEntry>;
  inRefresh: number;
  /** Refreshes failed in a row (the pause before the next try grows with it). */
  failures: number;
  /** Symbols whose refresh failed, waiting for `retry` to put them back into `pending`. */
  held: Map<string, PendingEntry>;
  retry: NodeJS.Timeout | null;
}

/**
 * Lanes refreshed together, one pass at a time, over one cache of recent rows (see
 * RefreshScheduler): the shared runner, a new lane's probe, or a slow lane's own (whose passes
 * are spaced).
 */
export interface RefreshRunner {
  kind: 'shared' | 'probe' | 'slow';
  readonly lanes: RefreshLane[];
  running: Promise<void> | null;
  cache: RecentRowsCache | null;
}

/** A lane's symbols taken into one pass, with their entries as they were taken. */
export interface LaneWork {
  readonly lane: RefreshLane;
  readonly done: Record<string, PendingEntry>;
}

/**
 * A view whose first refresh takes this long, or that takes this long and at least half of a
 * shared pass, gets a runner of its own; a pass of such a runner longer than this is followed by
 * a pause as long as the pass.
 */
export const SLOW_PASS_MS = 250;

/** A runner with no lane yet. */
export function newRunner(kind: RefreshRunner['kind']): RefreshRunner {
  return { kind, lanes: [], running: null, cache: null };
}

/** A lane for `view@version`, with nothing pending, refreshed by `runner`. */
export function newLane(name: string, runner: RefreshRunner): RefreshLane {
  const [view, version] = name.split('@');
  return { view, version: Number(version), runner, costMs: Number.POSITIVE_INFINITY, pending: new Map(), inRefresh: 0, failures: 0, held: new Map(), retry: null };
}

/** A lane's name: `view@version`. */
export function laneName(lane: RefreshLane): string {
  return `${lane.view}@${lane.version}`;
}

/** Adds a symbol to a lane's pending set: the earlier `since` wins (by time), the registry's `n` is kept. */
export function addPending(lane: RefreshLane, symbol: string, entry: PendingEntry): void {
  const prior = lane.pending.get(symbol);
  lane.pending.set(symbol, { since: prior && Date.parse(prior.since) < Date.parse(entry.since) ? prior.since : entry.since, n: Math.max(prior?.n ?? 0, entry.n) });
}

/** The earliest `since` of these entries, by time. */
export function earliestSince(entries: readonly PendingEntry[]): Date {
  return new Date(Math.min(...entries.map((e) => Date.parse(e.since))));
}
