import type { OnlineRefresh } from '../../online-refresh/online-refresh.service';
import type { PendingEntry } from '../../registry/stream-checkpoint.repository';
import type { OnlineRefresher } from './online-refresher';
import type { PendingRefreshSet } from './pending-refresh.set';
import { addPending, earliestSince, laneName, type LaneWork, type RefreshLane, type RefreshRunner } from './refresh-lane';

/** How a pass went: its length when the lanes ran as one (else null), and each lane's symbols that failed. */
export interface PassOutcome {
  readonly jointMs: number | null;
  readonly failed: ReadonlyMap<RefreshLane, Record<string, PendingEntry>>;
}

/** Told of every lane refreshed (keys, online rows written, ms) and of every failure. */
export interface PassListener {
  refreshed(lane: RefreshLane, keys: number, onlineRows: number, ms: number): void;
  failed(lane: string, message: string): void;
}

/**
 * Runs one refresh pass of a runner's lanes and clears what it refreshed from the pending set.
 * A pass of several lanes runs as one refresh over the union of their symbols; if that fails,
 * each lane is refreshed alone, and a lane that fails is split in halves down to the symbols
 * that fail, so one symbol whose data a view cannot compute does not hold up the others.
 */
export class RefreshPasses {
  constructor(
    private readonly refresher: OnlineRefresher,
    private readonly dataset: string,
    private readonly pendingSet: PendingRefreshSet,
    private readonly listener: PassListener,
  ) {}

  /** Refreshes the pass's lanes (see the class comment); failures come back, they are not thrown. */
  async run(runner: RefreshRunner, pass: readonly LaneWork[]): Promise<PassOutcome> {
    const failed = new Map<RefreshLane, Record<string, PendingEntry>>();
    if (pass.length > 1) {
      const started = Date.now();
      let refreshed: OnlineRefresh[] | null = null;
      try {
        refreshed = await this.refreshViews(runner, pass);
      } catch {
        // The cache starts afresh (the failure may be its own); the lanes are tried one by one.
        closeCache(runner);
      }
      if (refreshed) {
        const ms = Date.now() - started;
        for (const work of pass) {
          failed.set(work.lane, {});
          try {
            await this.cleared(work, refreshed, ms);
          } catch (error) {
            // The values are online but their entries are still in the registry: they wait for
            // the next pass (refreshed again, harmless) instead of failing the worker.
            for (const [symbol, entry] of Object.entries(work.done)) addPending(work.lane, symbol, entry);
            this.listener.failed(laneName(work.lane), `clearing the pending entries: ${(error as Error).message}`);
          }
        }
        return { jointMs: ms, failed };
      }
    }
    for (const work of pass) failed.set(work.lane, await this.isolating(work.lane, work.done, true));
    return { jointMs: null, failed };
  }

  /**
   * Refreshes the symbols; when that fails, halves the set and tries each half, down to single
   * symbols. Returns the symbols that failed. When a whole half fails down to its last symbol and
   * the other half fails too, the cause is taken to be common (e.g. the online store is down) and
   * the rest is not split further.
   */
  private async isolating(lane: RefreshLane, entries: Record<string, PendingEntry>, top = false): Promise<Record<string, PendingEntry>> {
    try {
      await this.refreshSymbols(lane, entries);
      return {};
    } catch (error) {
      const symbols = Object.keys(entries);
      // The cache starts afresh (the failure may be its own).
      if (top) closeCache(lane.runner);
      if (symbols.length === 1) {
        this.listener.failed(laneName(lane), `${symbols[0]}: ${(error as Error).message}`);
        return entries;
      }
      const half = Math.ceil(symbols.length / 2);
      const first = Object.fromEntries(symbols.slice(0, half).map((sym) => [sym, entries[sym]]));
      const second = Object.fromEntries(symbols.slice(half).map((sym) => [sym, entries[sym]]));
      const failedFirst = await this.isolating(lane, first);
      if (Object.keys(failedFirst).length === half) {
        try {
          await this.refreshSymbols(lane, second);
          return failedFirst;
        } catch (common) {
          this.listener.failed(laneName(lane), `${symbols.length} symbols: ${(common as Error).message}`);
          return entries;
        }
      }
      return { ...failedFirst, ...(await this.isolating(lane, second)) };
    }
  }

  private async refreshSymbols(lane: RefreshLane, entries: Record<string, PendingEntry>): Promise<void> {
    const started = Date.now();
    const work = { lane, done: entries };
    await this.cleared(work, await this.refreshViews(lane.runner, [work]), Date.now() - started);
  }

  // The lanes' views, refreshed online for the union of their symbols from the earliest start, over the runner's cache.
  private async refreshViews(runner: RefreshRunner, pass: readonly LaneWork[]): Promise<OnlineRefresh[]> {
    const since = earliestSince(pass.flatMap((w) => Object.values(w.done)));
    const symbols = [...new Set(pass.flatMap((w) => Object.keys(w.done)))];
    // One DuckDB thread per runner: the runners go side by side with the writes.
    runner.cache ??= await this.refresher.recentRowsCache(this.dataset, { threads: 1 });
    return this.refresher.refreshOnline(this.dataset, symbols, since, {
      streamingOnly: true,
      cache: runner.cache,
      only: pass.map((w) => ({ view: w.lane.view, version: w.lane.version })),
    });
  }

  // A lane's symbols are refreshed (`refreshed`: the results of its pass): the view's cost is
  // noted and the entries leave the registry's pending set.
  private async cleared({ lane, done }: LaneWork, refreshed: readonly OnlineRefresh[], ms: number): Promise<void> {
    const own = refreshed.filter((r) => r.view === lane.view && r.version === lane.version);
    lane.costMs = own.reduce((n, r) => n + r.ms, 0);
    await this.pendingSet.clear(laneName(lane), done);
    const keys = Object.keys(done).length;
    lane.inRefresh = Math.max(0, lane.inRefresh - keys);
    this.listener.refreshed(lane, keys, own.reduce((n, r) => n + r.written, 0), ms);
  }
}

function closeCache(runner: RefreshRunner): void {
  runner.cache?.close();
  runner.cache = null;
}
