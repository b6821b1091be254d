import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { InvalidArgumentError, LmdbRegistry } from '@app/features';

describe('LmdbRegistry stream checkpoints (a real LMDB file)', () => {
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
    const streams = registry.streams;
    const first = await streams.addPendingRefresh('s', { 'a@1|X': '2026-01-02T00:00:00.000Z', 'a@1|Y': '2026-01-02T00:00:00.000Z' });
    expect(first).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 1 }, 'a@1|Y': { since: '2026-01-02T00:00:00.000Z', n: 1 } });
    // Only the keys of the call come back, whatever else the set holds.
    expect(await streams.addPendingRefresh('s', { 'a@1|X': '2026-01-01T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 2 } });
    expect(await streams.addPendingRefresh('s', { 'a@1|X': '2026-01-05T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 3 } });
    // Another set, and a set whose name extends this one's, are kept apart.
    await streams.addPendingRefresh('s2', { 'a@1|Z': '2026-01-03T00:00:00.000Z' });
    expect(Object.keys(await streams.getPendingRefresh('s')).sort()).toEqual(['a@1|X', 'a@1|Y']);

    // X was added again after this snapshot (n 2 < 3): it stays; Y goes.
    await streams.clearPendingRefresh('s', { 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 2 }, 'a@1|Y': first['a@1|Y'] });
    expect(await streams.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 3 } });
    await streams.clearPendingRefresh('s', { 'a@1|X': { since: '2026-01-01T00:00:00.000Z', n: 3 } });
    expect(await streams.getPendingRefresh('s')).toEqual({});
    expect(await streams.getPendingRefresh('s2')).toEqual({ 'a@1|Z': { since: '2026-01-03T00:00:00.000Z', n: 1 } });
  });

  it('gives back every key as it was added, whatever its characters (as in a stream worker set)', async () => {
    const keys: Record<string, string> = {};
    for (const view of ['a@1', 'fragile_px@1', 'returns@1', '0x@2', 'Z@1', '~@1', 'é@1']) {
      for (const symbol of ['F001', 'F002', '', 'x|y', 'BTC-USD']) keys[`${view}|${symbol}`] = '2026-01-02T00:00:00.000Z';
    }
    const name = 'stream/g-fragile/test.fragile.123';
    await registry.streams.addPendingRefresh(name, keys);
    await registry.streams.addPendingRefresh(`${name}x`, { 'a@1|F001': '2026-01-02T00:00:00.000Z' });
    expect(Object.keys(await registry.streams.getPendingRefresh(name)).sort()).toEqual(Object.keys(keys).sort());
  });

  it('refuses a since outside 1900-2200 (a year -1200 bar) and writes nothing of the call, so later refreshes still run', async () => {
    await registry.streams.addPendingRefresh('s', { 'a@1|X': '2026-01-02T00:00:00.000Z' });
    const bad = { 'a@1|X': '2026-01-01T00:00:00.000Z', 'a@1|Y': new Date(-99999999999 * 1000).toISOString() };
    expect(bad['a@1|Y']).toMatch(/^-0011/);
    await expect(registry.streams.addPendingRefresh('s', bad)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(registry.streams.addPendingRefresh('s', bad)).rejects.toThrow(/since\["a@1\|Y"\]/);
    for (const since of ['1899-12-31T23:59:59.999Z', '2200-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z', 'yesterday', '']) {
      await expect(registry.streams.addPendingRefresh('s', { 'a@1|Z': since })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(await registry.streams.getPendingRefresh('s')).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 1 } });
    expect(await registry.streams.addPendingRefresh('s', { 'a@1|X': '2026-01-03T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 2 } });
  });

  it('keeps the earlier start as a time, not as text', async () => {
    await registry.streams.addPendingRefresh('s', { 'a@1|X': '2026-01-01T20:00:00.000Z' });
    // 2026-01-01T19:00Z: earlier as a time, later as text.
    expect(await registry.streams.addPendingRefresh('s', { 'a@1|X': '2026-01-02T00:00:00+05:00' })).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00+05:00', n: 2 } });
    expect(await registry.streams.addPendingRefresh('s', { 'a@1|X': '2026-01-01T19:30:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00+05:00', n: 3 } });
  });

  it('lets a sane start replace a stored one that is no sane time (the entry a year -1200 bar left)', async () => {
    await registry.close();
    const raw = open({ path: join(dir, 'registry'), compression: false, noSubdir: false });
    await raw.put('pending-entry/s\u001fa@1|X', { since: '-001199-02-15T14:13:21.000Z', n: 4 });
    await raw.close();
    registry = LmdbRegistry.open(join(dir, 'registry'));
    expect(await registry.streams.addPendingRefresh('s', { 'a@1|X': '2026-01-02T00:00:00.000Z' })).toEqual({ 'a@1|X': { since: '2026-01-02T00:00:00.000Z', n: 5 } });
  });

  it('sets watermarks one by one and several at once', async () => {
    await registry.streams.setWatermark('http/bars_1d/BTC-USD', '2026-01-02T00:00:00.000Z');
    await registry.streams.setWatermarks({ 'stream/g/t/0': '41', 'stream/g/t/1': '7' });
    expect(await registry.streams.getWatermark('http/bars_1d/BTC-USD')).toBe('2026-01-02T00:00:00.000Z');
    expect(await registry.streams.getWatermark('stream/g/t/0')).toBe('41');
    expect(await registry.streams.getWatermark('stream/g/t/1')).toBe('7');
    expect(await registry.streams.getWatermark('stream/g/t/2')).toBeUndefined();
  });
});
