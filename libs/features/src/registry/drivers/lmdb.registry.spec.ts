import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbRegistry } from './lmdb.registry';

describe('LmdbRegistry pending refreshes (a real LMDB file)', () => {
  let dir: string;
  let registry: LmdbRegistry;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'registry-'));
    registry = LmdbRegistry.open(join(dir, 'registry'));
  });
  afterEach(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the earliest since per key, counts additions, and clears only what was not added again', async () => {
    const first = await registry.addPendingRefresh('s', { 'a@1|X': '2026-01-02T00:00:00.000Z', 'a@1|Y': '2026-01-02T00:00:00.000Z' });
    expect(first).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 1 }, 'a@1|Y': { since: '2026-01-02T00:00:00.000Z', n: 1 } });
    // Only the keys of the call come back, whatever else the set holds.
    expect(await registry.addPendingRefresh('s', { 'a@1|X': '2026-01-01T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 2 } });
    expect(await registry.addPendingRefresh('s', { 'a@1|X': '2026-01-05T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 3 } });
    // Another set, and a set whose name extends this one's, are kept apart.
    await registry.addPendingRefresh('s2', { 'a@1|Z': '2026-01-03T00:00:00.000Z' });
    expect(Object.keys(await registry.getPendingRefresh('s')).sort()).toEqual(['a@1|X', 'a@1|Y']);

    // X was added again after this snapshot (n 2 < 3): it stays; Y goes.
    await registry.clearPendingRefresh('s', { 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 2 }, 'a@1|Y': first['a@1|Y'] });
    expect(await registry.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 3 } });
    await registry.clearPendingRefresh('s', { 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 3 } });
    expect(await registry.getPendingRefresh('s')).toEqual({});
    expect(await registry.getPendingRefresh('s2')).toEqual({ 'a@1|Z': { since: '2026-01-03T00:00:00.000Z', n: 1 } });
  });

  it('gives back every key as it was added, whatever its characters (as in a stream worker set)', async () => {
    const keys: Record<string, string> = {};
    for (const view of ['a@1', 'fragile_px@1', 'returns@1', '0x@2', 'Z@1', '~@1', 'é@1']) {
      for (const symbol of ['F001', 'F002', '', 'x|y', 'BTC-USD']) keys[`${view}|${symbol}`] = '2026-01-02T00:00:00.000Z';
    }
    const name = 'stream/g-fragile/test.fragile.123';
    await registry.addPendingRefresh(name, keys);
    await registry.addPendingRefresh(`${name}x`, { 'a@1|F001': '2026-01-02T00:00:00.000Z' });
    expect(Object.keys(await registry.getPendingRefresh(name)).sort()).toEqual(Object.keys(keys).sort());
  });

  it('reads, extends and clears a set an earlier version stored as one record', async () => {
    await registry.close();
    const raw = open({ path: join(dir, 'registry'), compression: false, noSubdir: false });
    await raw.put('pending-refresh/s', { 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 4 }, 'a@1|Y': { since: '2026-01-03T00:00:00.000Z', n: 1 } });
    await raw.close();
    registry = LmdbRegistry.open(join(dir, 'registry'));

    expect(await registry.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 4 }, 'a@1|Y': { since: '2026-01-03T00:00:00.000Z', n: 1 } });
    expect(await registry.addPendingRefresh('s', { 'a@1|X': '2026-01-04T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 5 } });
    await registry.clearPendingRefresh('s', { 'a@1|Y': { since: '2026-01-03T00:00:00.000Z', n: 1 } });
    expect(await registry.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 5 } });

    // An older worker on the same files writes its record again beside the per-key ones: the
    // earlier since wins and `n` moves above both, so a clear of either snapshot keeps the entry.
    await registry.close();
    const again = open({ path: join(dir, 'registry'), compression: false, noSubdir: false });
    await again.put('pending-refresh/s', { 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 1 } });
    await again.close();
    registry = LmdbRegistry.open(join(dir, 'registry'));
    expect(await registry.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 5 } });
    await registry.clearPendingRefresh('s', { 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 1 } });
    await registry.clearPendingRefresh('s', { 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 5 } });
    expect(await registry.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 6 } });
  });
});
