import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbRegistry, type NewAuditEntry } from '@app/features';

const entry = (keyId: string, at: string, target = 'bars_1d'): NewAuditEntry => ({
  at,
  keyId,
  route: 'POST /v1/datasets/:name/rows',
  targets: [target],
  counts: { accepted: 2, rejected: 0 },
  outcome: 'accepted',
  status: 200,
});

describe('LmdbAuditRepository (a real LMDB file)', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
    path = join(dir, 'registry');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives one strictly increasing seq across two registry handles, appending at once', async () => {
    const a = LmdbRegistry.open(path);
    const b = LmdbRegistry.open(path);
    try {
      const appended = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).audit.append(entry(`k${i}`, '2026-01-01T00:00:00.000Z'))));
      const seqs = appended.map((e) => e.seq).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      // Both handles read the same trail in seq order, each entry as appended.
      const listedA = await a.audit.list({ limit: 1000 });
      const listedB = await b.audit.list({ limit: 1000 });
      expect(listedA.map((e) => e.seq)).toEqual(seqs);
      expect(listedB).toEqual(listedA);
      for (const e of appended) expect(listedA[e.seq - 1]).toEqual(e);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('pages by seq cursor and filters by key id and time', async () => {
    const registry = LmdbRegistry.open(path);
    try {
      for (let i = 0; i < 7; i++) await registry.audit.append(entry(i % 2 ? 'ci-bot' : 'alice', `2026-01-0${i + 1}T00:00:00.000Z`, `ds${i}`));
      const first = await registry.audit.list({ limit: 3 });
      expect(first.map((e) => e.targets[0])).toEqual(['ds0', 'ds1', 'ds2']);
      const second = await registry.audit.list({ after: first[2].seq, limit: 3 });
      expect(second.map((e) => e.targets[0])).toEqual(['ds3', 'ds4', 'ds5']);
      const last = await registry.audit.list({ after: second[2].seq, limit: 3 });
      expect(last.map((e) => e.targets[0])).toEqual(['ds6']);
      expect(await registry.audit.list({ after: last[0].seq, limit: 3 })).toEqual([]);
      // Filters apply before the limit: a page holds `limit` matching entries.
      expect((await registry.audit.list({ keyId: 'ci-bot', limit: 2 })).map((e) => e.targets[0])).toEqual(['ds1', 'ds3']);
      expect((await registry.audit.list({ keyId: 'ci-bot', after: 4, limit: 10 })).map((e) => e.targets[0])).toEqual(['ds5']);
      expect((await registry.audit.list({ since: new Date('2026-01-05T00:00:00Z'), limit: 10 })).map((e) => e.targets[0])).toEqual(['ds4', 'ds5', 'ds6']);
      expect((await registry.audit.list({ since: new Date('2026-01-05T00:00:00Z'), keyId: 'alice', limit: 10 })).map((e) => e.targets[0])).toEqual(['ds4', 'ds6']);
      expect(await registry.audit.list({ keyId: 'nobody', limit: 10 })).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it('keeps the trail and its sequence after the registry is reopened', async () => {
    const before = LmdbRegistry.open(path);
    await before.audit.append(entry('alice', '2026-01-01T00:00:00.000Z', 'one'));
    await before.audit.append({ ...entry('bob', '2026-01-02T00:00:00.000Z', 'two'), outcome: 'denied', status: 403, detail: 'needs scope write' });
    await before.close();
    const after = LmdbRegistry.open(path);
    try {
      const third = await after.audit.append(entry('carol', '2026-01-03T00:00:00.000Z', 'three'));
      expect(third.seq).toBe(3);
      const listed = await after.audit.list({ limit: 10 });
      expect(listed).toEqual([
        { seq: 1, ...entry('alice', '2026-01-01T00:00:00.000Z', 'one') },
        { seq: 2, ...entry('bob', '2026-01-02T00:00:00.000Z', 'two'), outcome: 'denied', status: 403, detail: 'needs scope write' },
        third,
      ]);
    } finally {
      await after.close();
    }
  });

  it('offers no way to change or remove an entry', () => {
    const registry = LmdbRegistry.open(path);
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(registry.audit)).filter((m) => m !== 'constructor').sort();
    expect(methods).toEqual(['append', 'list']);
    return registry.close();
  });
});
