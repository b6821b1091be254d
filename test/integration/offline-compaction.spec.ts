import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixedClock, fileListLiteral, sql, type FeatureStore } from '@app/features';
import { openStore, query, tempDataDir } from '../support/helpers';
import { DAY, FIRST, SYMBOLS, VERSION_DIR, VIEW, answers, bar, expectSameAnswers, materializeDaily, offlineRows, onDisk, writeHistory } from '../support/offline-history';

// A view version materialised day by day (66 runs, a revision among them) is copied aside, then
// its offline store compacted: the compacted store and the untouched copy must answer the same
// (training sets in event and knowledge mode and with a knownAt, digests included; the kept
// statistics; the series), now and after the same new days are materialised into both. The
// copy is the reference: nothing of the compaction runs on it.

const month = (name: string) => `${name.slice(0, 4)}-${name.slice(4, 6)}`;
const parts = (names: string[]) => names.filter((n) => !n.startsWith('rev-'));

describe('offline store compaction', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  const dirOf = (name: string) => join(tmp.dir, name);
  const open = (name: string, clock: FixedClock, env: Record<string, string> = {}) => openStore(dirOf(name), clock, env);
  const endClock = () => new FixedClock(new Date(FIRST + 70 * DAY));

  beforeAll(async () => {
    tmp = tempDataDir();
    const clock = endClock();
    const store = await open('a', clock);
    try {
      await writeHistory(store, clock);
    } finally {
      await store.close();
    }
    for (const copy of ['b', 'c']) cpSync(dirOf('a'), dirOf(copy), { recursive: true });
  }, 240_000);
  afterAll(() => tmp.cleanup());

  it('merges the small parts of each month into one sorted part and answers exactly as the untouched copy', async () => {
    const [clockA, clockB] = [endClock(), endClock()];
    const a = await open('a', clockA, { LAKE_COMPACTION_GRACE_S: '0' });
    const b = await open('b', clockB);
    try {
      const before = onDisk(dirOf('a'));
      const revisions = before.filter((n) => n.startsWith('rev-'));
      expect(revisions).toHaveLength(1);
      expect(parts(before)).toHaveLength(66);
      const report = await a.offlineCompaction.compactView(VIEW);
      expect(report.view).toBe(VIEW);
      expect(report.versions).toHaveLength(1);
      const months = [...new Set(parts(before).map(month))].sort();
      expect(months).toEqual(['2024-02', '2024-03', '2024-04']);
      expect(report.versions[0]).toMatchObject({ version: 1, busy: false, inputFiles: 66, outputFiles: months.length });
      // Grace 0: the replaced parts and their sidecars are gone; one part per month and the revision are left.
      const after = onDisk(dirOf('a'));
      expect(parts(after).map(month)).toEqual(months);
      expect(after.filter((n) => n.startsWith('rev-'))).toEqual(revisions);
      for (const n of after) expect(existsSync(join(dirOf('a'), VERSION_DIR, `${n}.stats.json`))).toBe(true);
      expect(readdirSync(join(dirOf('a'), VERSION_DIR)).filter((n) => n.endsWith('.stats.json'))).toHaveLength(after.length);
      // Each merged part's range covers its inputs' ranges (and so stays inside the recorded state).
      const range = (n: string) => n.split('_').slice(0, 2).join('_');
      for (const m of months) {
        const inputs = parts(before).filter((n) => month(n) === m);
        const output = parts(after).find((n) => month(n) === m)!;
        expect(range(output)).toBe(`${inputs[0].split('_')[0]}_${inputs.at(-1)!.split('_')[1]}`);
      }
      // Sorted by (symbol, event_ts, created_ts) within each file.
      const files = parts(after).map((n) => join(dirOf('a'), VERSION_DIR, n));
      const unsorted = await query(sql`SELECT count(*) AS n FROM (SELECT symbol, event_ts, created_ts, lag((symbol, event_ts, created_ts)) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
        FROM read_parquet(${fileListLiteral(files)}, filename = true, file_row_number = true)) WHERE prev IS NOT NULL AND prev > (symbol, event_ts, created_ts)`);
      expect(Number(unsorted[0].n)).toBe(0);
      // Every row kept as it was, created_ts included.
      const rows = await offlineRows(a);
      expect(rows).toEqual(await offlineRows(b));
      expect(rows.length).toBeGreaterThan(3 * 70);
      const compacted = await answers(a);
      const reference = await answers(b);
      expectSameAnswers(compacted, reference);
      expect(compacted.rows).toBe(3 * 70);
      // A second run finds nothing to merge.
      expect((await a.offlineCompaction.compactView(VIEW)).versions[0]).toMatchObject({ inputFiles: 0, outputFiles: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('materialises new days and a revision of a compacted month as the untouched copy does', async () => {
    const [clockA, clockB] = [endClock(), endClock()];
    const a = await open('a', clockA, { LAKE_COMPACTION_GRACE_S: '0' });
    const b = await open('b', clockB);
    try {
      // AAA's bar of day 40 (a compacted March) corrected on day 72.
      const extra = new Map([[72, [bar('AAA', 40, 77.25, 32 * DAY + 1000)]]]);
      await materializeDaily(a, clockA, 70, 75, extra);
      await materializeDaily(b, clockB, 70, 75, extra);
      expect(onDisk(dirOf('a')).filter((n) => n.startsWith('rev-'))).toHaveLength(2);
      expect(await offlineRows(a)).toEqual(await offlineRows(b));
      const compacted = await answers(a);
      const reference = await answers(b);
      expectSameAnswers(compacted, reference);
      // Compacting again merges the new days with April's merged part (still small) and May's apart.
      const report = await a.offlineCompaction.compactView(VIEW, { version: 1 });
      expect(report.versions[0]).toMatchObject({ inputFiles: 6, outputFiles: 2 });
      expect(parts(onDisk(dirOf('a'))).map(month)).toEqual(['2024-02', '2024-03', '2024-04', '2024-05']);
      const again = await answers(a);
      expectSameAnswers(again, reference);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets a reader that listed the files before the swap read them for the grace period', async () => {
    const clock = endClock();
    const c = await open('c', clock, { LAKE_COMPACTION_GRACE_S: '600' });
    try {
      const listed = (await c.offlineStore.files(VIEW, 1)).files;
      const rows = await query(sql`SELECT * FROM read_parquet(${fileListLiteral(listed)}) ORDER BY ALL`);
      await c.offlineCompaction.compactView(VIEW);
      const now = (await c.offlineStore.files(VIEW, 1)).files;
      expect(now.length).toBe(4);
      // The old files are still there and hold what they held; readers listing now get the new ones.
      expect(await query(sql`SELECT * FROM read_parquet(${fileListLiteral(listed)}) ORDER BY ALL`)).toEqual(rows);
      expect(await query(sql`SELECT * FROM read_parquet(${fileListLiteral(now)}) ORDER BY ALL`)).toEqual(rows);
      expect(onDisk(dirOf('c')).length).toBe(listed.length + 3);
      // After the grace period the next run removes them, and the record a grace period later.
      clock.set(new Date(clock.now().getTime() + 601_000));
      await c.offlineCompaction.compactView(VIEW);
      expect(onDisk(dirOf('c'))).toEqual(now.map((f) => f.split('/').at(-1)).sort());
      expect(readdirSync(join(dirOf('c'), VERSION_DIR, '_compactions')).filter((n) => n.endsWith('.json'))).toHaveLength(3);
      clock.set(new Date(clock.now().getTime() + 601_000));
      await c.offlineCompaction.compactView(VIEW);
      expect(readdirSync(join(dirOf('c'), VERSION_DIR, '_compactions'))).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('skips a version being materialised, and refuses an unknown view or version naming the field', async () => {
    const clock = endClock();
    // Stray files in the offline folders are not the store's: opening (which recovers swaps) passes them by.
    writeFileSync(join(dirOf('c'), 'offline', 'notes.txt'), 'x');
    writeFileSync(join(dirOf('c'), 'offline', VIEW, 'notes.txt'), 'x');
    const c = await open('c', clock);
    try {
      const lease = `materialize/${VIEW}@1`;
      const holder = { pid: process.pid, instance: 'a-materialisation-of-this-process', since: clock.now().toISOString() };
      expect(await c.registry.materializations.acquireLease(lease, holder, () => true)).toBeNull();
      try {
        expect((await c.offlineCompaction.compactView(VIEW)).versions).toEqual([expect.objectContaining({ version: 1, busy: true, inputFiles: 0 })]);
      } finally {
        await c.registry.materializations.releaseLease(lease, holder);
      }
      await expect(c.offlineCompaction.compactView('no_such_view')).rejects.toMatchObject({ code: 'UNKNOWN_FEATURE_VIEW', details: { field: 'view' } });
      await expect(c.offlineCompaction.compactView(VIEW, { version: 7 })).rejects.toMatchObject({ code: 'UNKNOWN_FEATURE_VIEW', details: { field: 'version' } });
    } finally {
      await c.close();
    }
  });
});

describe('offline store compaction into several parts per month', () => {
  // 300 symbols: a month holds several thousand rows, more than a small row target, so a month's
  // parts are merged into several files whose statistics are summarised from their current rows.
  const symbols = [...SYMBOLS, ...Array.from({ length: 297 }, (_, i) => `S${String(i).padStart(3, '0')}`)];
  let tmp: ReturnType<typeof tempDataDir>;
  const dirOf = (name: string) => join(tmp.dir, name);
  const endClock = () => new FixedClock(new Date(FIRST + 70 * DAY));

  beforeAll(async () => {
    tmp = tempDataDir();
    const clock = endClock();
    const store = await openStore(dirOf('a'), clock);
    try {
      await writeHistory(store, clock, symbols);
    } finally {
      await store.close();
    }
    cpSync(dirOf('a'), dirOf('b'), { recursive: true });
  }, 240_000);
  afterAll(() => tmp.cleanup());

  it('splits a month at the row target and keeps every answer and statistic', async () => {
    const a = await openStore(dirOf('a'), endClock(), { LAKE_COMPACTION_GRACE_S: '0' });
    const b = await openStore(dirOf('b'), endClock());
    try {
      const report = await a.offlineCompaction.compactView(VIEW, { targetRows: 2048 });
      const after = parts(onDisk(dirOf('a')));
      expect(report.versions[0]).toMatchObject({ inputFiles: 66, outputFiles: after.length });
      // About rows / 2048 files a month, each with its statistics.
      for (const m of ['2024-02', '2024-03', '2024-04']) expect(after.filter((n) => month(n) === m).length).toBeGreaterThan(1);
      for (const n of after) expect(existsSync(join(dirOf('a'), VERSION_DIR, `${n}.stats.json`))).toBe(true);
      expect(await offlineRows(a)).toEqual(await offlineRows(b));
      expectSameAnswers(await answers(a, symbols), await answers(b, symbols));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
