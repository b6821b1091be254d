import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbRegistry, type MonitorEvaluation, type MonitorRecord } from '@app/features';

describe('LmdbRegistry drift monitors (a real LMDB file)', () => {
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

  const monitor = (id: string): MonitorRecord => ({ id, view: 'returns', version: 1, reference: 'tset-1', window: '30d', psiAlert: 0.2, createdAt: '2026-01-01T00:00:00.000Z', last: null });
  const last: MonitorEvaluation = {
    evaluatedAt: '2026-01-02T00:00:00.000Z',
    windowStart: '2025-12-02T00:00:00.000Z',
    windowEnd: '2026-01-01T00:00:00.000Z',
    alert: true,
    features: [{ name: 'ret_1d', psi: 0.3, ks: 0.2, referenceNullRate: 0, currentNullRate: 0.1, referenceCount: 10, currentCount: 9, alert: true }],
  };

  it('stores, lists in id order, sets last, deletes; a deleted monitor is not brought back by setLast', async () => {
    const monitors = registry.monitors;
    await monitors.putMonitor(monitor('mon-b'));
    await monitors.putMonitor(monitor('mon-a'));
    expect((await monitors.listMonitors()).map((m) => m.id)).toEqual(['mon-a', 'mon-b']);
    await monitors.setLast('mon-a', last);
    expect(await monitors.getMonitor('mon-a')).toEqual({ ...monitor('mon-a'), last });
    expect(await monitors.deleteMonitor('mon-a')).toBe(true);
    expect(await monitors.deleteMonitor('mon-a')).toBe(false);
    await monitors.setLast('mon-a', last);
    expect(await monitors.getMonitor('mon-a')).toBeUndefined();
    expect((await monitors.listMonitors()).map((m) => m.id)).toEqual(['mon-b']);
  });

  it('survives reopening the environment', async () => {
    await registry.monitors.putMonitor({ ...monitor('mon-x'), last });
    await registry.close();
    registry = LmdbRegistry.open(join(dir, 'registry'));
    expect(await registry.monitors.getMonitor('mon-x')).toEqual({ ...monitor('mon-x'), last });
  });
});
