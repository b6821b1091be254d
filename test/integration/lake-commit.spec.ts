import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureStore, FileProvider, FixedClock, LocalFileSystem, parseBarTiming } from '@app/features';
import { SAMPLE_CSV, lakeRows, tempDataDir, testConfig } from '../support/helpers';

/** The real file system, except that the chosen operations fail with an I/O error (the process lives on). */
class FaultyFileSystem extends LocalFileSystem {
  constructor(private readonly fails: (operation: 'rename' | 'writeText', path: string) => boolean) {
    super();
  }
  override async rename(from: string, to: string): Promise<void> {
    if (this.fails('rename', to)) throw eio(to);
    await super.rename(from, to);
  }
  override async writeText(path: string, text: string): Promise<void> {
    if (this.fails('writeText', path)) throw eio(path);
    await super.writeText(path, text);
  }
}

function eio(path: string): Error {
  return Object.assign(new Error(`EIO: i/o error, '${path}'`), { code: 'EIO' });
}

describe('a lake commit that fails', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => (tmp = tempDataDir()));
  afterEach(() => tmp.cleanup());

  const ingest = (store: FeatureStore) =>
    store.ingest.run(new FileProvider({ path: SAMPLE_CSV, timing: parseBarTiming({ interval: '1d' }), symbol: 'BTC-USD' }), { dataset: 'bars_1d', createAs: 'bars' });

  it('after some files reached the lake is finished by the next ingest of the same process, exactly once', async () => {
    const lakeDir = join(tmp.dir, 'lake');
    let intoLake = 0;
    const fs = new FaultyFileSystem((operation, to) => operation === 'rename' && to.startsWith(`${lakeDir}/`) && ++intoLake === 3);
    const store = await FeatureStore.open(testConfig(tmp.dir), new FixedClock(new Date('2026-01-01T12:00:00Z')), { lakeFileSystem: fs });
    try {
      await expect(ingest(store)).rejects.toThrow(/EIO/);
      const visible = readdirSync(join(lakeDir, 'bars_1d'));
      expect(visible.length).toBe(2); // the two partitions renamed before the failure

      const again = await ingest(store);
      expect(again.batches).toEqual([expect.objectContaining({ skipped: true })]);
      const rows = await lakeRows(tmp.dir, 'bars_1d');
      expect(rows).toHaveLength(92);
      expect(new Set(rows.map((r) => r.ingested_at)).size).toBe(1);
      expect(await store.registry.datasets.listBatches('bars_1d')).toHaveLength(1);
      expect(readdirSync(join(tmp.dir, 'staging')).filter((f) => !f.startsWith('.'))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('before its plan was written leaves nothing behind, and the next ingest writes the batch', async () => {
    let failed = false;
    const fs = new FaultyFileSystem((operation, path) => operation === 'writeText' && path.endsWith('_COMMIT.json') && !failed && (failed = true));
    const store = await FeatureStore.open(testConfig(tmp.dir), new FixedClock(new Date('2026-01-01T12:00:00Z')), { lakeFileSystem: fs });
    try {
      await expect(ingest(store)).rejects.toThrow(/EIO/);
      expect(readdirSync(join(tmp.dir, 'staging'))).toEqual([]);
      expect(existsSync(join(tmp.dir, 'lake'))).toBe(false);
      expect((await ingest(store)).accepted).toBe(92);
      expect(await lakeRows(tmp.dir, 'bars_1d')).toHaveLength(92);
    } finally {
      await store.close();
    }
  });
});
