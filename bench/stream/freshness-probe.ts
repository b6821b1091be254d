import { sleep } from '../../test/support/wait';

/** What the probe needs of an online store: the latest row's event time per key. */
export interface OnlineReader {
  read(tables: ReadonlyArray<{ view: string; version: number }>, keys: ReadonlyArray<readonly string[]>): Promise<Array<Array<{ eventTs: string } | undefined>>>;
}

interface Pending {
  readonly tsMs: number;
  readonly sentAt: number;
}

/**
 * Produce-to-online-visible latency. Sampled bars are registered when handed to the producer; a
 * loop reads the online store until each view's row of that symbol reaches the sample's ts. The
 * headline view is read every ~5 ms, the others every ~50 ms: the probe shares the 2 cores with
 * the worker and the broker, and reading every view every 5 ms took a tenth of a core.
 */
export class FreshnessProbe {
  private readonly pendingBy: Map<string, Map<string, Pending[]>>;
  private readonly latenciesBy: Map<string, number[]>;
  /** The headline view's samples as (ms after production began, latency). */
  readonly timeline: Array<[number, number]> = [];
  private polling = true;
  private loop: Promise<void> | null = null;
  /** performance.now() when production began (set by start). */
  private started = Number.POSITIVE_INFINITY;

  constructor(
    private readonly online: OnlineReader,
    streamViews: readonly string[],
    readonly headlineView: string,
  ) {
    this.pendingBy = new Map(streamViews.map((v) => [v, new Map<string, Pending[]>()]));
    this.latenciesBy = new Map(streamViews.map((v) => [v, [] as number[]]));
  }

  start(): void {
    this.loop = this.poll();
  }

  /** When production began: the timeline's zero. */
  markProductionStart(at: number): void {
    this.started = at;
  }

  /** Samples handed to the producer at `sentAt`, awaited in every view. */
  expect(samples: ReadonlyArray<{ sym: string; tsMs: number }>, sentAt: number): void {
    for (const waitingBySymbol of this.pendingBy.values()) {
      for (const smp of samples) {
        const list = waitingBySymbol.get(smp.sym) ?? [];
        list.push({ tsMs: smp.tsMs, sentAt });
        waitingBySymbol.set(smp.sym, list);
      }
    }
  }

  anyPending(): boolean {
    return [...this.pendingBy.values()].some((m) => m.size > 0);
  }

  /** Samples still awaited in `view`. */
  pendingIn(view: string): number {
    return [...this.pendingBy.get(view)!.values()].reduce((n, l) => n + l.length, 0);
  }

  /** Latencies (ms) of the samples seen in `view` so far, in the order they were seen. */
  latencies(view: string): number[] {
    return this.latenciesBy.get(view)!;
  }

  /** Stops polling and returns what was still awaited per view (missed samples). */
  async stop(): Promise<Map<string, number>> {
    this.polling = false;
    const missed = new Map([...this.pendingBy.keys()].map((v) => [v, this.pendingIn(v)]));
    for (const m of this.pendingBy.values()) m.clear();
    await this.loop;
    return missed;
  }

  private async poll(): Promise<void> {
    let round = 0;
    while (this.polling || this.anyPending()) {
      round++;
      for (const [view, waitingBySymbol] of this.pendingBy) {
        const syms = [...waitingBySymbol.keys()];
        if (!syms.length || (view !== this.headlineView && round % 10 !== 0)) continue;
        const [rows] = await this.online.read([{ view, version: 1 }], syms.map((s) => [s]));
        const now = performance.now();
        syms.forEach((sym, i) => {
          const row = rows[i];
          if (!row) return;
          const seen = Date.parse(row.eventTs);
          const left = waitingBySymbol.get(sym)!.filter((s) => {
            if (seen < s.tsMs) return true;
            this.latenciesBy.get(view)!.push(now - s.sentAt);
            if (view === this.headlineView) this.timeline.push([s.sentAt - this.started, now - s.sentAt]);
            return false;
          });
          if (left.length) waitingBySymbol.set(sym, left);
          else waitingBySymbol.delete(sym);
        });
      }
      await sleep(5); // the polling period
    }
  }
}
