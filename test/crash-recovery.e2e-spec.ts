import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SAMPLE_CSV, lakeRows, openStore, query, tempDataDir } from './support/helpers';

/**
 * Runs the ingest in a child process: the real CLI, or with `crashAt` the same ingest through a
 * lake file system that SIGKILLs the child at that step of the commit (test/support/crash-ingest.ts).
 */
function ingestInChild(dataDir: string, crashAt?: 'before-commit-marker' | 'mid-rename'): { status: number | null; signal: NodeJS.Signals | null } {
  const args = crashAt
    ? ['test/support/crash-ingest.ts', dataDir, crashAt]
    : ['apps/ingest/src/main.ts', 'file', SAMPLE_CSV, '--dataset', 'bars_1d', '--symbol', 'BTC-USD', '--interval', '1d'];
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8' });
  return { status: result.status, signal: result.signal };
}

function parquetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet'));
}

describe('a crash between writing and renaming loses nothing and shows nothing partial', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => (tmp = tempDataDir()));
  afterEach(() => tmp.cleanup());

  it('killed after the Parquet files are written but before the commit: the lake shows no file, the next start discards the batch', async () => {
    const crashed = ingestInChild(tmp.dir, 'before-commit-marker');
    expect(crashed.signal).toBe('SIGKILL');
    expect(parquetFiles(join(tmp.dir, 'lake'))).toEqual([]);
    expect(parquetFiles(join(tmp.dir, 'staging')).length).toBeGreaterThan(0); // the written, unrenamed files

    const store = await openStore(tmp.dir); // opening recovers
    await store.close();
    expect(parquetFiles(join(tmp.dir, 'staging'))).toEqual([]);
    expect(ingestInChild(tmp.dir).status).toBe(0);
    expect(await lakeRows(tmp.dir, 'bars_1d')).toHaveLength(92);
  });

  it('killed in the middle of the renames: every visible file is whole, and recovery completes the batch exactly once', async () => {
    const crashed = ingestInChild(tmp.dir, 'mid-rename');
    expect(crashed.signal).toBe('SIGKILL');
    const visible = parquetFiles(join(tmp.dir, 'lake'));
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.length).toBeLessThan(92);
    // Each visible file is a complete Parquet file (DuckDB reads its footer and rows).
    const [{ n }] = await query<{ n: number }>(`SELECT count(DISTINCT filename) AS n FROM read_parquet('${tmp.dir}/lake/bars_1d/*/*.parquet', filename = true)`);
    expect(n).toBe(visible.length);

    // The next ingest rolls the crashed commit forward, then sees the same content and writes nothing.
    expect(ingestInChild(tmp.dir).status).toBe(0);
    const rows = await lakeRows(tmp.dir, 'bars_1d');
    expect(rows).toHaveLength(92);
    expect(new Set(rows.map((r) => r.ingested_at)).size).toBe(1);
    const store = await openStore(tmp.dir);
    expect(await store.registry.datasets.listBatches('bars_1d')).toHaveLength(1);
    await store.close();
  });
});
