import { lookbackMs } from '../../materialize/lookback';
import type { PendingEntry } from '../../registry/stream-checkpoint.repository';
import type { StreamObserver, StreamTotals } from '../stream.types';
import type { WorkerStatus } from '../worker-status';
import type { OnlineRefresher } from './online-refresher';
import { pendingKey, type PendingRefreshSet } from './pending-refresh.set';
import { RefreshPasses } from './refresh-pass';
import { addPending, laneName, newLane, newRunner, SLOW_PASS_MS, type LaneWork, type RefreshLane, type RefreshRunner } from './refresh-lane';

/**
 * Online values of the streaming views, refreshed off the write path. Every view version has a
 * lane (its symbols waiting); lanes are refreshed by runners, one pass at a time, each pass for
 * every symbol written since the previous one began (so a slow pass makes the next one bigger,
 * never a queue).
 * - A lane's first refresh runs in a runner of its own (a probe), which measures the view; one
 *   probe at a time, shortest lookback first, so a starting worker does not read every view's
 *   history from the lake at once.
 * - A cheap view then joins the shared runner, whose pass reads the symbols' recent rows once
 *   into its cache and runs each view's SQL over them, cheapest first.
 * - A slow view, or one that comes to take most of a shared pass, keeps a runner of its own so it
 *   does not hold up the others, and its passes are spaced by their own length (about half a core
 *   at most) so it does not starve the lake writes of CPU either.
 * Symbols whose refresh fails stay pending and are tried again after a growing pause.
 */
export class RefreshScheduler {
  private readonly lanes = new Map<string, RefreshLane>();
  private readonly shared: RefreshRunner = newRunner('shared');
  private readonly runners = new Set<RefreshRunner>([this.shared]);
  /** The probe running (one at a time). */
  private probing: RefreshRunner | null = null;
  /** Each streaming view version's lookback in ms (Infinity: the whole history), as last listed. */
  private readonly lookbacks = new Map<string, number>();
  /** Wakes the pauses between a slow lane's passes when the worker stops. */
  private readonly pauses = new Set<() => void>();
  private scanTimer: NodeJS.Timeout | null = null;
  /** The registry's pending entries at the previous scan, with their `n` (see adoptOrphans). */
  private lastScan = new Map<string, number>();
  private readonly passes: RefreshPasses;

  constructor(
    private readonly refresher: OnlineRefresher,
    private readonly dataset: string,
    private readonly pendingSet: PendingRefreshSet,
    private readonly status: WorkerStatus,
    private readonly totals: StreamTotals,
    private readonly observer: StreamObserver | null,
  ) {
    this.passes = new RefreshPasses(refresher, dataset, pendingSet, {
      refreshed: (lane, keys, onlineRows, ms) => {
        this.totals.onlineRows += onlineRows;
        this.observer?.refresh({ view: laneName(lane), runner: lane.runner.kind, keys, onlineRows, ms, pending: this.pendingCount });
      },
      failed: (lane, message) => this.observer?.refreshError(lane, message),
    });
  }

  /** Takes up what a previous run left pending, and scans for orphaned entries every `scanMs`. */
  async start(scanMs: number): Promise<void> {
    const versions = new Set(await this.streamLanes());
    for (const { lane, symbol, entry } of await this.pendingSet.list()) if (versions.has(lane)) addPending(this.lane(lane), symbol, entry);
    for (const lane of this.lanes.values()) this.kick(lane.runner);
    this.scanTimer = setInterval(() => {
      this.adoptOrphans().catch((error: unknown) => this.observer?.refreshError('pending-scan', (error as Error).message));
    }, scanMs);
    this.scanTimer.unref();
  }

  /**
   * A batch's symbols, each from its oldest new bar, join the pending set of every streaming view
   * version (in the registry first, so a crash leaves them for the next start) and are refreshed.
   */
  async enqueue(from: ReadonlyMap<string, number>): Promise<void> {
    if (from.size === 0) return;
    const names = await this.streamLanes();
    if (names.length === 0) return;
    const entries = await this.pendingSet.add(names, from);
    for (const name of names) {
      const lane = this.lane(name);
      for (const [symbol, t] of from) addPending(lane, symbol, { since: new Date(t).toISOString(), n: entries[pendingKey(name, symbol)].n });
      this.kick(lane.runner);
    }
  }

  /** Waits for the runners to finish (the last batch's symbols are refreshed before the worker exits). */
  async stop(): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    for (const wake of this.pauses) wake();
    // Until every runner is idle: a lane placed meanwhile may set another one going again.
    for (let busy = this.busy(); busy.length > 0; busy = this.busy()) await Promise.allSettled(busy);
    for (const runner of this.runners) {
      runner.cache?.close();
      runner.cache = null;
    }
    for (const lane of this.lanes.values()) {
      // Symbols held after a failure stay pending in the registry for the next start.
      if (lane.retry) clearTimeout(lane.retry);
      lane.retry = null;
    }
  }

  /** (View, symbol) pairs written to the lake and not yet refreshed online (0 when online values are current). */
  get pendingCount(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.pending.size + lane.inRefresh + lane.held.size;
    return n;
  }

  private busy(): Array<Promise<void>> {
    return [...this.runners].flatMap((r) => (r.running ? [r.running] : []));
  }

  /**
   * Adopts pending refreshes nobody is working on: an entry of the registry's set unchanged since
   * the previous scan and not waiting in this worker is refreshed here (its writer stopped, or
   * left the group, before refreshing it). Two workers may both refresh one: harmless.
   */
  private async adoptOrphans(): Promise<void> {
    if (this.status.stopped || this.status.failure) return;
    const items = await this.pendingSet.list();
    const versions = new Set(await this.streamLanes());
    const seen = new Map<string, number>();
    for (const { lane: name, symbol, entry } of items) {
      const key = pendingKey(name, symbol);
      seen.set(key, entry.n);
      if (this.lastScan.get(key) !== entry.n || !versions.has(name)) continue;
      const lane = this.lane(name);
      if (lane.pending.has(symbol) || lane.held.has(symbol)) continue;
      addPending(lane, symbol, entry);
      this.kick(lane.runner);
    }
    this.lastScan = seen;
  }

  // The lanes a batch feeds: the materialised streaming view versions over the dataset, as `view@version`.
  private async streamLanes(): Promise<string[]> {
    return (await this.refresher.onlineTargets(this.dataset, true)).map((r) => {
      const name = `${r.name}@${r.version}`;
      this.lookbacks.set(name, lookbackMs(r.definition) ?? Number.POSITIVE_INFINITY);
      return name;
    });
  }

  private lane(name: string): RefreshLane {
    let lane = this.lanes.get(name);
    if (!lane) {
      const runner = newRunner('probe');
      lane = newLane(name, runner);
      runner.lanes.push(lane);
      this.runners.add(runner);
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private kick(runner: RefreshRunner): void {
    if (runner.running || this.status.failure || !runner.lanes.some((l) => l.pending.size > 0)) return;
    if (runner.kind === 'probe') {
      if (this.probing) return;
      this.probing = runner;
    }
    runner.running = this.runPasses(runner).finally(() => {
      runner.running = null;
      if (this.probing === runner) {
        // The next probe: the waiting view with the shortest lookback (cheap views first).
        this.probing = null;
        const next = [...this.runners]
          .filter((r) => r.kind === 'probe' && r !== runner && r.lanes.some((l) => l.pending.size > 0))
          .sort((a, b) => (this.lookbacks.get(laneName(a.lanes[0])) ?? 0) - (this.lookbacks.get(laneName(b.lanes[0])) ?? 0))[0];
        if (next) this.kick(next);
      }
      if (runner.lanes.length === 0 && runner !== this.shared) {
        // A runner whose lane joined the shared one.
        runner.cache?.close();
        runner.cache = null;
        this.runners.delete(runner);
      }
      this.kick(runner);
    });
  }

  // Passes while the runner's lanes have symbols waiting (also while stopping: the last batch's symbols are refreshed before the worker exits).
  private async runPasses(runner: RefreshRunner): Promise<void> {
    while (!this.status.failure) {
      const pass: LaneWork[] = runner.lanes
        .filter((lane) => lane.pending.size > 0)
        .sort((a, b) => (a.costMs === b.costMs ? 0 : a.costMs < b.costMs ? -1 : 1))
        .map((lane) => {
          const done = Object.fromEntries(lane.pending);
          lane.inRefresh = lane.pending.size;
          lane.pending = new Map();
          return { lane, done };
        });
      if (pass.length === 0) break;
      const started = Date.now();
      try {
        const outcome = await this.passes.run(runner, pass);
        for (const [lane, failed] of outcome.failed) this.afterRefresh(lane, failed);
        if (outcome.jointMs !== null) this.splitSlowLanes(runner, pass.map((w) => w.lane), outcome.jointMs);
      } finally {
        // (A lane that moved to another runner during the pass is counted there now.)
        for (const { lane } of pass) if (lane.runner === runner) lane.inRefresh = 0;
      }
      const took = Date.now() - started;
      if (runner.kind !== 'shared') this.place(runner);
      if (runner.kind === 'slow' && took > SLOW_PASS_MS && !this.status.stopped) await this.pause(took);
    }
  }

  // Waits `ms`, or less if the worker stops meanwhile.
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.pauses.add(wake);
    });
  }

  // A lane whose view took most of a shared pass (and long enough to matter) gets its own runner.
  private splitSlowLanes(runner: RefreshRunner, lanes: readonly RefreshLane[], passMs: number): void {
    if (runner.kind !== 'shared') return;
    for (const lane of lanes) {
      if (runner.lanes.length < 2 || lane.costMs < SLOW_PASS_MS || lane.costMs * 2 < passMs) continue;
      runner.lanes.splice(runner.lanes.indexOf(lane), 1);
      lane.runner = newRunner('slow');
      lane.runner.lanes.push(lane);
      this.runners.add(lane.runner);
      this.kick(lane.runner);
    }
  }

  // After a refresh of a lane alone that measured its view: a cheap lane joins the shared runner
  // (a slow one back only below half the limit: no flapping), a slow one keeps this runner.
  private place(runner: RefreshRunner): void {
    const lane = runner.lanes[0];
    if (!lane || lane.costMs === Number.POSITIVE_INFINITY) return;
    if (lane.costMs >= (runner.kind === 'probe' ? SLOW_PASS_MS : SLOW_PASS_MS / 2)) {
      runner.kind = 'slow';
      return;
    }
    runner.lanes.length = 0;
    lane.runner = this.shared;
    this.shared.lanes.push(lane);
    if (!this.shared.cache && !this.shared.running) {
      // The probe's recent rows start the shared runner's cache (no second read from the lake
      // while the worker warms up; a longer lookback than the probe's reads only the stretch before it).
      this.shared.cache = runner.cache;
      runner.cache = null;
    }
    this.kick(this.shared);
  }

  /**
   * After a lane's refresh: symbols that failed stay pending, here and in the registry, and are
   * tried again after a pause growing from 1 s to 1 min (a view's SQL on some symbol's data, the
   * online store down); the lake writes never stop for them, and the others go on being refreshed.
   */
  private afterRefresh(lane: RefreshLane, failed: Record<string, PendingEntry>): void {
    if (Object.keys(failed).length === 0) {
      lane.failures = 0;
      return;
    }
    lane.failures++;
    for (const [symbol, entry] of Object.entries(failed)) lane.held.set(symbol, entry);
    if (!lane.retry) {
      lane.retry = setTimeout(() => {
        lane.retry = null;
        if (this.status.stopped) return;
        for (const [symbol, entry] of lane.held) addPending(lane, symbol, entry);
        lane.held.clear();
        this.kick(lane.runner);
      }, Math.min(60_000, 1000 * 2 ** Math.min(6, lane.failures - 1)));
      lane.retry.unref();
    }
  }
}
