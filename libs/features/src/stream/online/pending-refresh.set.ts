import type { PendingEntry, PendingRefresh, StreamCheckpointRepository } from '../../registry/stream-checkpoint.repository';
import { isSaneTime, SANE_TIME_RANGE } from '../../util/time';

type PendingRegistry = Pick<StreamCheckpointRepository, 'addPendingRefresh' | 'getPendingRefresh' | 'clearPendingRefresh'>;

/** An entry of the set: a lane (`view@version`), a symbol, and from when it needs refreshing. */
export interface PendingItem {
  readonly lane: string;
  readonly symbol: string;
  readonly entry: PendingEntry;
}

/**
 * The registry's durable set of (view version, symbol) entries awaiting an online refresh,
 * shared by the group's workers: a symbol joins it when its rows are in the lake and leaves it
 * once refreshed, so a crash in between leaves it for the next start (or another worker).
 */
export class PendingRefreshSet {
  constructor(
    private readonly registry: PendingRegistry,
    group: string,
    topic: string,
  ) {
    this.name = `stream/${group}/${topic}`;
  }

  readonly name: string;

  /** Every entry. A start outside the sane range (left by an older build) becomes the range's start: refreshing from there heals it. */
  async list(): Promise<PendingItem[]> {
    return Object.entries(await this.registry.getPendingRefresh(this.name)).map(([key, entry]) => {
      const bar = key.indexOf('|');
      const since = isSaneTime(Date.parse(entry.since)) ? entry.since : new Date(SANE_TIME_RANGE.minMs).toISOString();
      return { lane: key.slice(0, bar), symbol: key.slice(bar + 1), entry: { since, n: entry.n } };
    });
  }

  /** Adds each symbol to each lane from its time (epoch ms); returns the registry's entries by `lane|symbol`. */
  async add(lanes: readonly string[], from: ReadonlyMap<string, number>): Promise<PendingRefresh> {
    const since: Record<string, string> = {};
    for (const lane of lanes) for (const [symbol, t] of from) since[pendingKey(lane, symbol)] = new Date(t).toISOString();
    return this.registry.addPendingRefresh(this.name, since);
  }

  /** Removes a lane's refreshed entries, unless they were added again meanwhile. */
  async clear(lane: string, done: Readonly<Record<string, PendingEntry>>): Promise<void> {
    await this.registry.clearPendingRefresh(this.name, Object.fromEntries(Object.entries(done).map(([symbol, e]) => [pendingKey(lane, symbol), e])));
  }
}

/** An entry's key in the registry's set: `view@version|symbol`. */
export function pendingKey(lane: string, symbol: string): string {
  return `${lane}|${symbol}`;
}
