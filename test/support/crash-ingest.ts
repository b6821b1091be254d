/**
 * Ingests the sample CSV like `npm run ingest -- file …`, through a lake file system that kills
 * this process (SIGKILL: no cleanup, as a power cut or the OOM killer) at a named step of the
 * commit. Run by test/crash-recovery.e2e-spec.ts:
 *   node -r @swc-node/register test/support/crash-ingest.ts <data-dir> <point>
 * Points: before-commit-marker (the Parquet files are staged, the commit plan not yet written),
 * mid-rename (the first file of the batch has been renamed into the lake, the others not).
 */
import { join } from 'node:path';
import { FeatureStore, FileProvider, LocalFileSystem, parseBarTiming, type LakeFileSystem } from '@app/features';
import { SAMPLE_CSV, testConfig } from './helpers';

const POINTS = ['before-commit-marker', 'mid-rename'] as const;
type CrashPoint = (typeof POINTS)[number];

/** The real file system, with a SIGKILL of this process at `point`. */
class CrashingFileSystem extends LocalFileSystem implements LakeFileSystem {
  constructor(
    private readonly point: CrashPoint,
    private readonly lakeDir: string,
  ) {
    super();
  }

  override async writeText(path: string, text: string): Promise<void> {
    if (this.point === 'before-commit-marker' && path.endsWith('_COMMIT.json')) die();
    await super.writeText(path, text);
  }

  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    if (this.point === 'mid-rename' && to.startsWith(`${this.lakeDir}/`)) die();
  }
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL was sent');
}

async function main(): Promise<void> {
  const [dataDir, point] = process.argv.slice(2);
  if (!dataDir || !POINTS.includes(point as CrashPoint)) throw new Error(`usage: crash-ingest.ts <data-dir> ${POINTS.join('|')}`);
  const config = testConfig(dataDir);
  const store = await FeatureStore.open(config, undefined, { lakeFileSystem: new CrashingFileSystem(point as CrashPoint, join(config.dataDir, 'lake')) });
  const provider = new FileProvider({ path: SAMPLE_CSV, timing: parseBarTiming({ interval: '1d' }), symbol: 'BTC-USD' });
  await store.ingest.run(provider, { dataset: 'bars_1d', createAs: 'bars' });
  await store.close();
  throw new Error(`the ingest finished without reaching ${point}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
