import type { PendingEntry, PendingRefresh } from '../../registry/stream-checkpoint.repository';
import { PendingRefreshSet } from './pending-refresh.set';
import { addPending, earliestSince, newLane, newRunner } from './refresh-lane';

// An in-memory stand-in for the registry's pending set, keeping the earliest start by time.
function memoryRegistry(initial: Record<string, PendingEntry> = {}) {
  const entries = new Map(Object.entries(initial));
  return {
    entries,
    async addPendingRefresh(_name: string, since: Readonly<Record<string, string>>): Promise<PendingRefresh> {
      for (const [key, s] of Object.entries(since)) {
        const prior = entries.get(key);
        entries.set(key, { since: prior && Date.parse(prior.since) < Date.parse(s) ? prior.since : s, n: (prior?.n ?? 0) + 1 });
      }
      return Object.fromEntries(entries);
    },
    async getPendingRefresh(): Promise<PendingRefresh> {
      return Object.fromEntries(entries);
    },
    async clearPendingRefresh(_name: string, done: PendingRefresh): Promise<void> {
      for (const [key, e] of Object.entries(done)) if (entries.get(key)?.n === e.n) entries.delete(key);
    },
  };
}

describe('pending online refreshes', () => {
  it('keep the earliest start by time, not by text', () => {
    const lane = newLane('returns@1', newRunner('probe'));
    addPending(lane, 'AAA', { since: '2026-01-05T00:00:00.000Z', n: 1 });
    // 23:00 UTC the day before: earlier in time, though later as text.
    addPending(lane, 'AAA', { since: '2026-01-05T01:00:00+02:00', n: 2 });
    expect(lane.pending.get('AAA')).toEqual({ since: '2026-01-05T01:00:00+02:00', n: 2 });
    addPending(lane, 'AAA', { since: '2026-01-06T00:00:00.000Z', n: 1 });
    expect(lane.pending.get('AAA')).toEqual({ since: '2026-01-05T01:00:00+02:00', n: 2 });
    expect(earliestSince([{ since: '2026-01-05T00:00:00Z', n: 1 }, { since: '2026-01-04T23:30:00-01:00', n: 1 }])).toEqual(new Date('2026-01-05T00:00:00Z'));
  });

  it('left with a start outside 1900..2200 by an older build, are refreshed from 1900 (which heals them)', async () => {
    const registry = memoryRegistry({ 'returns@1|AAA': { since: '-001200-06-01T00:00:00.000Z', n: 3 }, 'returns@1|B|B': { since: '2026-01-01T00:00:00.000Z', n: 1 } });
    const set = new PendingRefreshSet(registry, 'g', 't');
    expect(await set.list()).toEqual([
      { lane: 'returns@1', symbol: 'AAA', entry: { since: '1900-01-01T00:00:00.000Z', n: 3 } },
      { lane: 'returns@1', symbol: 'B|B', entry: { since: '2026-01-01T00:00:00.000Z', n: 1 } },
    ]);
    // Cleared by its `n`, whatever start it was refreshed from.
    await set.clear('returns@1', { AAA: { since: '1900-01-01T00:00:00.000Z', n: 3 } });
    expect([...registry.entries.keys()]).toEqual(['returns@1|B|B']);
  });

  it('are added per lane and symbol from each symbol time', async () => {
    const registry = memoryRegistry();
    const set = new PendingRefreshSet(registry, 'g', 't');
    const entries = await set.add(['returns@1', 'trend@2'], new Map([['AAA', Date.parse('2026-01-02T00:00:00Z')]]));
    expect(entries).toEqual({ 'returns@1|AAA': { since: '2026-01-02T00:00:00.000Z', n: 1 }, 'trend@2|AAA': { since: '2026-01-02T00:00:00.000Z', n: 1 } });
  });
});
