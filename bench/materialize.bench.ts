import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbClient, FeatureStore, applyCatalog, barSchema, fileLiteral, loadConfig, marketCatalog, raw, sql } from '@app/features';
import { CACHE_DIR, dataDirOverLake } from './support/cache';
import { peakRss, timed } from './support/measure';
import { options } from './support/options';
import { commandLine, machine, ratio, writeResults } from './support/report';
import { sum } from './support/stats';
import { ingestSyntheticBars, withStore } from './support/store-setup';

/**
 * Materialisation benchmark: the whole built-in catalog over N symbols x D days of synthetic
 * bars, against running the same view SQL directly in DuckDB into Parquet (no registry, no
 * sandbox, no online write) in the same run. Reports rows/s and peak RSS of the process.
 */
export async function runMaterializeBench(args: string[]): Promise<void> {
  const opts = options(args);
  const symbols = Number(opts.symbols ?? '5000');
  const days = Number(opts.days ?? '2520');
  const lakeRoot = await ensureLake(symbols, days);
  const bars = fileLiteral(join(lakeRoot, 'lake', 'bars_1d', 'date=*', '*.parquet'));
  // The lake's current rows: the latest version of each (symbol, ts), as the materialiser reads them.
  const current = sql`SELECT * EXCLUDE (date) FROM read_parquet(${bars}, hive_partitioning = true) QUALIFY row_number() OVER (PARTITION BY symbol, ts ORDER BY ingested_at DESC) = 1`;

  const baseline: Record<string, number> = {};
  let baselineRows = 0;
  const direct = await peakRss(async () => {
    const db = await DuckDbClient.open();
    try {
      for (const view of marketCatalog.views) {
        const out = join(CACHE_DIR, `direct-${view.name}.parquet`);
        const { ms, value } = await timed(() =>
          db.withSession(async (s) => {
            await s.run(sql`CREATE TEMP VIEW source AS ${current}`);
            return s.run(sql`COPY (${raw(view.sql)}) TO ${fileLiteral(out)} (FORMAT parquet)`);
          }),
        );
        baseline[view.name] = Math.round(ms);
        baselineRows += value;
        rmSync(out, { force: true });
      }
    } finally {
      db.close();
    }
  });

  const runDir = dataDirOverLake('materialize-run', lakeRoot);
  const ours: Record<string, number> = {};
  const phases: Record<string, Readonly<Record<string, number>>> = {};
  let oursRows = 0;
  const store = await FeatureStore.open(loadConfig({ DATA_DIR: runDir }));
  const measured = await peakRss(async () => {
    await store.registry.datasets.putDataset(barSchema('bars_1d'), true);
    await applyCatalog(store.features, marketCatalog);
    for (const view of marketCatalog.views) {
      const { ms, value } = await timed(() => store.materializer.run({ view: view.name }));
      ours[view.name] = Math.round(ms);
      phases[view.name] = { plan: Math.round(ms - value.elapsedMs), ...value.phases };
      oursRows += value.rows;
    }
  });
  await store.close();
  rmSync(runDir, { recursive: true, force: true });

  const total = (r: Record<string, number>) => sum(Object.values(r));
  const baselineRate = baselineRows / (total(baseline) / 1000);
  const oursRate = oursRows / (total(ours) / 1000);
  const result = {
    command: commandLine('materialize', args),
    machine: machine(),
    symbols,
    days,
    baselineMsPerView: baseline,
    oursMsPerView: ours,
    baselineRows,
    oursRows,
    baselineRowsPerSec: Math.round(baselineRate),
    oursRowsPerSec: Math.round(oursRate),
    ratio: ratio(oursRate, baselineRate),
    oursPeakRssMiB: measured.peakMiB,
    oursPhasesMs: phases,
    directPeakRssMiB: direct.peakMiB,
  };
  const md = [
    `# Materialisation benchmark (${new Date().toISOString()})`,
    '',
    `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}.`,
    `Data: ${symbols} symbols x ${days} days of synthetic daily bars; the whole built-in catalog (${marketCatalog.views.length} views).`,
    'Baseline: the same view SQL run directly in DuckDB into Parquet (no registry, sandbox or online write), same run.',
    '',
    '| | rows | ms | rows/s | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| direct DuckDB | ${baselineRows} | ${total(baseline)} | ${result.baselineRowsPerSec} | ${direct.peakMiB} |`,
    `| materialise (offline + online) | ${oursRows} | ${total(ours)} | ${result.oursRowsPerSec} | ${measured.peakMiB} |`,
    '',
    `Ratio (ours / direct rows/s): **${result.ratio}**. Per view (ms): direct ${JSON.stringify(baseline)}, ours ${JSON.stringify(ours)}.`,
    '',
    `Our phases per view (ms): ${JSON.stringify(phases)}`,
  ].join('\n');
  writeResults('materialize', result, md);
}

async function ensureLake(symbols: number, days: number): Promise<string> {
  const dir = join(CACHE_DIR, `lake-${symbols}x${days}`);
  if (existsSync(join(dir, 'lake', 'bars_1d'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  console.error(`generating ${symbols} x ${days} synthetic bars into ${dir} …`);
  await withStore(dir, (store) => ingestSyntheticBars(store, { symbols, days, seed: 7, endDate: new Date('2025-12-31T00:00:00Z') }));
  return dir;
}
