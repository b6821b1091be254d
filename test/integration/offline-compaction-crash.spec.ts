import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FixedClock, LocalFileSystem, OfflineCompactionService, OfflineStoreRepository, type FeatureStore } from '@app/features';
import { openStore, tempDataDir } from '../support/helpers';
import { DAY, FIRST, VERSION_DIR, VIEW, answers, bar, expectSameAnswers, materializeDaily, offlineRows, onDisk, writeHistory } from '../support/offline-history';

// A compaction of the offline store killed at a step (a file system that fails there stands in
// for SIGKILL; the record's owner is then set to a pid that no longer exists): readers answer as
// the untouched copy meanwhile, and opening the store finishes the swap when its marker was
// written and discards it when not, or when a revision changed the statistics since.

/** Fails the `nth` rename for which `when` holds (and every later step of the run with it). */
class FailingFileSystem extends LocalFileSystem {
  private seen = 0;
  constructor(
    private readonly when: (from: string, to: string) => boolean,
    private readonly nth: number,
  ) {
    super();
  }
  override async rename(from: string, to: string): Promise<void> {
    if (this.when(from, to) && ++this.seen === this.nth) throw new Error('injected crash');
    return super.rename(from, to);
  }
}

const month = (name: string) => `${name.slice(0, 4)}-${name.slice(4, 6)}`;
const parts = (names: string[]) => names.filter((n) => !n.startsWith('rev-'));

describe('offline store compaction after a crash', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  const dirOf = (name: string) => join(tmp.dir, name);
  const endClock = () => new FixedClock(new Date(FIRST + 70 * DAY));
  const open = (name: string, clock = endClock()) => openStore(dirOf(name), clock, { LAKE_COMPACTION_GRACE_S: '0' });
  const deadPid = () => spawnSync('true').pid!;

  // A compaction of `store` through a file system failing as given; the error is the crash.
  async function crash(store: FeatureStore, fs: LocalFileSystem): Promise<void> {
    const offline = new OfflineStoreRepository(store.offlineStore.root, fs);
    const service = new OfflineCompactionService(store.db, offline, store.features, store.registry.materializations, store.clock, store.config.lake);
    await expect(service.compactView(VIEW)).rejects.toThrow('injected crash');
  }

  // The crashed process is gone: its records and staging folders name a pid that no longer runs.
  function killOwner(dataDir: string): void {
    const journal = join(dataDir, VERSION_DIR, '_compactions');
    const pid = deadPid();
    for (const name of readdirSync(journal)) {
      const file = name.endsWith('.json') ? join(journal, name) : join(journal, name, '_OWNER.json');
      if (!existsSync(file)) continue;
      const value = JSON.parse(readFileSync(file, 'utf8')) as { owner?: { pid: number }; pid?: number };
      if (value.owner) value.owner.pid = pid;
      else value.pid = pid;
      writeFileSync(file, JSON.stringify(value));
    }
  }

  const journalNames = (dataDir: string) => readdirSync(join(dataDir, VERSION_DIR, '_compactions')).sort();

  beforeAll(async () => {
    tmp = tempDataDir();
    const clock = endClock();
    const store = await openStore(dirOf('ref'), clock);
    try {
      await writeHistory(store, clock);
    } finally {
      await store.close();
    }
    for (const copy of ['marker', 'placed', 'staged', 'revised', 'revisedRef', 'live', 'liveRef']) cpSync(dirOf('ref'), dirOf(copy), { recursive: true });
  }, 240_000);
  afterAll(() => tmp.cleanup());

  it('finishes a swap whose marker was written, on opening the store; readers answered as before meanwhile', async () => {
    const before = onDisk(dirOf('marker'));
    let store = await open('marker');
    const reference = await open('ref');
    try {
      const expected = await answers(reference);
      const versionDir = join(dirOf('marker'), VERSION_DIR);
      // The second rename into the version's folder: February's sidecar is in place, its part is not.
      await crash(store, new FailingFileSystem((from, to) => dirname(to) === versionDir && from.includes('.staging'), 2));
      expect(journalNames(dirOf('marker'))).toHaveLength(2); // the record and its staging folder
      expect(await offlineRows(store)).toEqual(await offlineRows(reference));
      expectSameAnswers(await answers(store), expected);
      await store.close();
      killOwner(dirOf('marker'));
      store = await open('marker');
      const [record] = journalNames(dirOf('marker')).map((n) => JSON.parse(readFileSync(join(dirOf('marker'), VERSION_DIR, '_compactions', n), 'utf8')) as { committedAt?: string; inputsRemovedAt?: string });
      expect(record.committedAt).toBeDefined();
      expect(record.inputsRemovedAt).toBeDefined(); // grace 0: the inputs went at once
      expect(parts(onDisk(dirOf('marker'))).filter((n) => month(n) === '2024-02')).toHaveLength(1);
      expect(onDisk(dirOf('marker')).length).toBeLessThan(before.length);
      expectSameAnswers(await answers(store), expected);
      // The next run merges the other months.
      await store.offlineCompaction.compactView(VIEW);
      expect(parts(onDisk(dirOf('marker'))).map(month)).toEqual(['2024-02', '2024-03', '2024-04']);
      expectSameAnswers(await answers(store), expected);
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('shows the outputs only, never both, when every output is in place but the commit was not written', async () => {
    let store = await open('placed');
    const reference = await open('ref');
    try {
      const expected = await answers(reference);
      // The second record write of the first group is its commit: February's outputs are all in place.
      await crash(store, new FailingFileSystem((from, to) => to.endsWith('.json') && dirname(to).endsWith('_compactions'), 2));
      const names = onDisk(dirOf('placed'));
      expect(parts(names).filter((n) => month(n) === '2024-02').length).toBeGreaterThan(1); // inputs and output on disk
      expect((await store.offlineStore.files(VIEW, 1)).files.filter((f) => month(f.split('/').at(-1)!) === '2024-02')).toHaveLength(1);
      expect(await offlineRows(store)).toEqual(await offlineRows(reference));
      expectSameAnswers(await answers(store), expected);
      await store.close();
      killOwner(dirOf('placed'));
      store = await open('placed');
      expect(parts(onDisk(dirOf('placed'))).filter((n) => month(n) === '2024-02')).toHaveLength(1);
      expectSameAnswers(await answers(store), expected);
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('finishes a swap that failed in a live process before its commit, and merges its outputs once', async () => {
    const clock = endClock();
    let store = await open('live', clock);
    const refClock = endClock();
    const reference = await open('liveRef', refClock);
    try {
      // April's commit (the sixth record write) fails: its merged part is in place, uncommitted, its owner alive.
      await crash(store, new FailingFileSystem((from, to) => to.endsWith('.json') && dirname(to).endsWith('_compactions'), 6));
      // Two new days add small April parts next to it. The next compaction first finishes the
      // failed swap (its process is alive but the swap is not running: nothing else will), then
      // merges its part with the two new ones, never the same rows twice.
      await materializeDaily(store, clock, 70, 72);
      await materializeDaily(reference, refClock, 70, 72);
      const report = await store.offlineCompaction.compactView(VIEW);
      expect(report.versions[0]).toMatchObject({ inputFiles: 3, outputFiles: 1 });
      expectSameAnswers(await answers(store), await answers(reference));
      await store.close();
      killOwner(dirOf('live'));
      store = await open('live', clock);
      expect(await offlineRows(store)).toEqual(await offlineRows(reference));
      expectSameAnswers(await answers(store), await answers(reference));
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('discards a compaction that crashed before its marker, on opening the store', async () => {
    const before = onDisk(dirOf('staged'));
    let store = await open('staged');
    const reference = await open('ref');
    try {
      // The merged part's rename inside the staging folder, before any record is written.
      await crash(store, new FailingFileSystem((from) => from.includes(`.staging${'/'}out`), 1));
      expect(journalNames(dirOf('staged'))).toEqual([expect.stringMatching(/\.staging$/)]);
      await store.close();
      killOwner(dirOf('staged'));
      store = await open('staged');
      expect(journalNames(dirOf('staged'))).toEqual([]);
      expect(onDisk(dirOf('staged'))).toEqual(before);
      expectSameAnswers(await answers(store), await answers(reference));
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('undoes an unfinished swap when a revision changed the statistics since, and compacts again after', async () => {
    const clock = endClock();
    let store = await open('revised', clock);
    const refClock = endClock();
    const reference = await open('revisedRef', refClock);
    try {
      const versionDir = join(dirOf('revised'), VERSION_DIR);
      await crash(store, new FailingFileSystem((from, to) => dirname(to) === versionDir && from.includes('.staging'), 2));
      killOwner(dirOf('revised'));
      // The crashed process no longer holds the lease: a day's run revises February (AAA's day 3).
      const extra = new Map([[70, [bar('AAA', 3, 66.5, 67 * DAY)]]]);
      await materializeDaily(store, clock, 70, 71, extra);
      await materializeDaily(reference, refClock, 70, 71, extra);
      await store.close();
      store = await open('revised', clock);
      expect(journalNames(dirOf('revised'))).toEqual([]);
      expectSameAnswers(await answers(store), await answers(reference));
      await store.offlineCompaction.compactView(VIEW);
      expect(parts(onDisk(dirOf('revised'))).map(month)).toEqual(['2024-02', '2024-03', '2024-04']);
      expect(await offlineRows(store)).toEqual(await offlineRows(reference));
      expectSameAnswers(await answers(store), await answers(reference));
    } finally {
      await store.close();
      await reference.close();
    }
  });
});
