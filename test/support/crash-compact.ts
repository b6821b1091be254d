/**
 * Compacts dataset `ticks` (test/support/compaction-fixtures.ts) through a lake file system that
 * kills this process (SIGKILL: no cleanup) at a named step. Run by
 * test/lake-compaction-crash.e2e-spec.ts:
 *   node -r @swc-node/register test/support/crash-compact.ts <data-dir> <point>
 * Points:
 * - before-record: the outputs are written in the compaction's staging folder, the record not yet;
 * - mid-swap: the record is written and the first output of a partition renamed into the lake;
 * - before-commit: every output of the first partition is in place, the record not yet committed;
 * - mid-cleanup: a swap is committed and the first replaced file removed (grace period 0).
 */
import { FeatureStore, LocalFileSystem, type LakeFileSystem } from '@app/features';
import { testConfig } from './helpers';

const POINTS = ['before-record', 'mid-swap', 'before-commit', 'mid-cleanup'] as const;
type CrashPoint = (typeof POINTS)[number];

class CrashingFileSystem extends LocalFileSystem implements LakeFileSystem {
  constructor(private readonly point: CrashPoint) {
    super();
  }

  override async writeText(path: string, text: string): Promise<void> {
    if (this.point === 'before-record' && path.includes('/_compactions/') && path.endsWith('.json.tmp')) die();
    if (this.point === 'before-commit' && path.includes('/_compactions/') && text.includes('"committedAt"')) die();
    await super.writeText(path, text);
  }

  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    if (this.point === 'mid-swap' && from.includes('.staging/') && !to.includes('.staging/')) die();
  }

  override async remove(path: string): Promise<void> {
    await super.remove(path);
    if (this.point === 'mid-cleanup' && /\/date=[^/]+\/[^/]+\.parquet$/.test(path)) die();
  }
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL was sent');
}

async function main(): Promise<void> {
  const [dataDir, point] = process.argv.slice(2);
  if (!dataDir || !POINTS.includes(point as CrashPoint)) throw new Error(`usage: crash-compact.ts <data-dir> ${POINTS.join('|')}`);
  const store = await FeatureStore.open(testConfig(dataDir, { LAKE_COMPACTION_GRACE_S: '0' }), undefined, { lakeFileSystem: new CrashingFileSystem(point as CrashPoint) });
  // Several outputs per partition (20 rows each), so a swap can be caught half done.
  await store.compaction.compactDataset('ticks', { targetRows: 20 });
  await store.close();
  throw new Error(`the compaction finished without reaching ${point}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
