import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LakeRepository, fileListLiteral, sql, systemClock } from '@app/features';
import { writeHistory } from './support/compaction-fixtures';
import { ROOT, openStore, query, tempDataDir } from './support/helpers';

/**
 * SIGKILL at each step of a compaction (test/support/crash-compact.ts): the lake's answers right
 * after the kill, before anything recovers, are those of the lake before the compaction; the
 * next start and run finish or discard the crashed one and leave a compacted lake with the same
 * answers. The reference is every row version read from the lake before any compaction.
 */
function compactInChild(dataDir: string, point: string): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', 'test/support/crash-compact.ts', dataDir, point], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
  return { status: result.status, signal: result.signal, stderr: result.stderr };
}

// What any reader of the lake sees: the files as the lake lists them, read by a plain DuckDB.
async function visibleRows(dataDir: string): Promise<unknown[]> {
  const files = await new LakeRepository(dataDir).files('ticks');
  return query(sql`SELECT symbol, ts, close, ingested_at FROM read_parquet(${fileListLiteral(files)}) ORDER BY ALL`);
}

describe('a compaction killed at any step changes no answer and is finished by the next run', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let reference: unknown[];

  beforeAll(async () => {
    tmp = tempDataDir();
    const store = await openStore(join(tmp.dir, 'base'));
    await writeHistory(store);
    await store.close();
    reference = await visibleRows(join(tmp.dir, 'base'));
    expect(reference.length).toBeGreaterThan(200);
  });
  afterAll(() => tmp.cleanup());

  it.each(['before-record', 'mid-swap', 'before-commit', 'mid-cleanup'])('killed at %s', async (point) => {
    const dir = join(tmp.dir, point);
    cpSync(join(tmp.dir, 'base'), dir, { recursive: true });
    const crashed = compactInChild(dir, point);
    expect({ signal: crashed.signal, stderr: crashed.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    expect(await visibleRows(dir)).toEqual(reference);

    // The child's clock is the system's: so is this one (the grace period compares them).
    const store = await openStore(dir, systemClock, { LAKE_COMPACTION_GRACE_S: '0' });
    try {
      expect(await visibleRows(dir)).toEqual(reference);
      await store.compaction.compactDataset('ticks');
      expect(await visibleRows(dir)).toEqual(reference);
      // Nothing left behind: no staging folder, one compacted file per partition, and every
      // batch names files that exist.
      const lake = join(dir, 'lake', 'ticks');
      expect(readdirSync(join(lake, '_compactions')).filter((n) => n.endsWith('.staging'))).toEqual([]);
      const partitions = readdirSync(lake).filter((p) => p.startsWith('date='));
      for (const p of partitions) expect(readdirSync(join(lake, p))).toEqual([expect.stringMatching(/^c-.*\.parquet$/)]);
      const onDisk = new Set(partitions.flatMap((p) => readdirSync(join(lake, p)).map((f) => `ticks/${p}/${f}`)));
      const named = (await store.registry.datasets.listBatches('ticks')).flatMap((b) => b.files);
      expect(named.filter((f) => !onDisk.has(f))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
