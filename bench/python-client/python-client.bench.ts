import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadConfig, marketCatalog } from '@app/features';
import { createApi } from '../../apps/api/src/server';
import { CACHE_DIR, freshCacheDir } from '../support/cache';
import { options } from '../support/options';
import { commandLine, machine, writeResults } from '../support/report';
import { applyAndMaterialize, ingestSyntheticBars, withStore } from '../support/store-setup';
import { FEATURES } from '../training-set/setup';

/** What client_vs_plain.py prints. */
interface PythonResult {
  rows: number;
  features: number;
  repeat: number;
  clientRunsMs: number[];
  plainRunsMs: number[];
  clientMedianMs: number;
  plainMedianMs: number;
  ratioOfMedians: number;
  medianPairRatio: number;
  ratioOfBest: number;
  sameValues: boolean;
  clientDtypes: Record<string, string>;
  plainDtypes: Record<string, string>;
  versions: Record<string, string>;
}

const GOAL = 1.15;
const END = new Date('2026-01-01T00:00:00Z');

/**
 * Python client benchmark: a training set of N entity rows (10 features from 3 views) to a pandas
 * DataFrame through `market_feature_store` vs the plain HTTP call plus pyarrow, against the real
 * API, alternating in one Python process (bench/python-client/client_vs_plain.py); medians.
 *
 * Options: --rows N (default 1,000,000), --repeat N (default 5), --symbols N and --days N of the
 * synthetic bars the views are materialised over (default 1000 x 1000, built once and cached).
 */
export async function runPythonClientBench(args: string[]): Promise<void> {
  const opts = options(args);
  const rows = Number(opts.rows ?? '1000000');
  const repeat = Number(opts.repeat ?? '5');
  const symbols = Number(opts.symbols ?? '1000');
  const days = Number(opts.days ?? '1000');
  const dataDir = await materialisedDataDir(symbols, days);

  const { app } = await createApi(loadConfig({ DATA_DIR: dataDir, BOOTSTRAP: 'false', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' }));
  await app.listen(0, '127.0.0.1');
  const loadBefore = loadavg()[0];
  let result: PythonResult;
  try {
    // Entity times from the 60th day on, so that most rows have values of every feature.
    const start = new Date(END.getTime() - (days - 60) * 86_400_000).toISOString();
    result = await runPython(['bench/python-client/client_vs_plain.py', '--url', await app.getUrl(), '--rows', String(rows), '--repeat', String(repeat), '--symbols', String(symbols), '--start', start, '--end', END.toISOString(), '--features', FEATURES.join(',')]);
  } finally {
    await app.close();
    // Every run stores its sets (about 90 MB each at 1M rows); none is read again.
    rmSync(join(dataDir, 'training-sets'), { recursive: true, force: true });
  }
  const json = { command: commandLine('python-client', args), machine: machine(), symbols, days, goal: GOAL, loadAverage1mBefore: Number(loadBefore.toFixed(2)), loadAverage1mAfter: Number(loadavg()[0].toFixed(2)), ...result };
  writeResults('python-client', json, markdown(json));
}

async function materialisedDataDir(symbols: number, days: number): Promise<string> {
  const name = `python-client-${symbols}x${days}`;
  const dir = join(CACHE_DIR, name);
  if (existsSync(join(dir, 'offline', 'trend'))) return dir;
  freshCacheDir(name);
  await withStore(dir, async (store) => {
    await ingestSyntheticBars(store, { symbols, days, seed: 11, endDate: END });
    await applyAndMaterialize(store, marketCatalog, { views: ['returns', 'volatility', 'trend'] });
  });
  return dir;
}

// Asynchronous: the API answering the script runs in this process.
function runPython(args: string[]): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as PythonResult) : reject(new Error(`client_vs_plain.py exited with ${code}`))));
  });
}

function markdown(r: PythonResult & { command: string; machine: Record<string, unknown>; symbols: number; days: number; loadAverage1mBefore: number; loadAverage1mAfter: number }): string {
  const verdict = r.ratioOfMedians <= GOAL ? 'within' : 'over';
  return `# Python client benchmark (${new Date().toISOString()})

Command: \`${r.command}\`; machine: ${JSON.stringify(r.machine)}; pandas ${r.versions.pandas}, pyarrow ${r.versions.pyarrow}.
A training set of ${r.rows} entity rows x ${r.features} features (3 views over ${r.symbols} x ${r.days} synthetic daily bars) to a pandas DataFrame, against the real API, ${r.repeat} alternating runs per side in one process.

| | median ms | runs ms |
| --- | ---: | --- |
| \`store.get_historical_features(entity_df, features).to_df()\` | ${r.clientMedianMs} | ${r.clientRunsMs.join(', ')} |
| plain: \`pa.Table.from_pandas\` → Arrow IPC POST → \`pa.ipc.open_stream(...).read_all().to_pandas()\` | ${r.plainMedianMs} | ${r.plainRunsMs.join(', ')} |

Ratio of medians client / plain: **${r.ratioOfMedians}** (goal <= ${GOAL}: ${verdict}); median of the ratios of adjacent runs ${r.medianPairRatio}; ratio of the best runs ${r.ratioOfBest}. Same feature values on both sides: ${r.sameValues}.
Load average (1 min) ${r.loadAverage1mBefore} before, ${r.loadAverage1mAfter} after.

Both times include the server's work (the same request). What the client adds: the UTC time column, the nullable dtypes (Int64, boolean) and nanosecond timestamps; the plain call keeps pyarrow's defaults (${r.plainDtypes.ts ?? '?'} for ts where the client gives ${r.clientDtypes.ts ?? '?'}).`;
}
