import { ConfigError, FeatureStore, FeatureStoreError, loadConfig, type CompactionReport, type OfflineCompactionReport } from '@app/features';
import { parseCompactArgs, USAGE, type CompactCommand } from './compact-args';

const MIB = 1024 * 1024;

/** One line per partition compacted, and the totals. */
export function formatCompaction(report: CompactionReport): string {
  const lines = report.partitions.map(
    (p) =>
      `  ${p.partition}: ${p.inputFiles} files (${(p.inputBytes / MIB).toFixed(1)} MiB) -> ${p.outputFiles} (${(p.outputBytes / MIB).toFixed(1)} MiB), ${p.rows} rows` +
      `${p.droppedVersions ? `, ${p.droppedVersions} superseded versions dropped` : ''}, ${p.ms} ms`,
  );
  const inputs = report.partitions.reduce((n, p) => n + p.inputFiles, 0);
  const outputs = report.partitions.reduce((n, p) => n + p.outputFiles, 0);
  const head = report.partitions.length
    ? `dataset ${report.dataset} (${report.granularity}): ${report.partitions.length} partitions compacted, ${inputs} files -> ${outputs} in ${report.ms} ms`
    : `dataset ${report.dataset} (${report.granularity}): nothing to compact`;
  const busy = report.busy.length ? [`  busy (another process is compacting them): ${report.busy.join(', ')}`] : [];
  const horizon = report.retentionHorizon ? [`  retention horizon: ${report.retentionHorizon} (an earlier knownAt is refused)`] : [];
  return [head, ...lines, ...busy, ...horizon].join('\n');
}

/** One line per view version compacted. */
export function formatOfflineCompaction(report: OfflineCompactionReport): string {
  const done = report.versions.filter((v) => v.inputFiles > 0);
  const head = done.length ? `view ${report.view}: ${done.length} versions compacted in ${report.ms} ms` : `view ${report.view}: nothing to compact`;
  const lines = report.versions.filter((v) => v.busy || v.inputFiles > 0).map((v) =>
    v.busy
      ? `  v${v.version}: busy (being materialised or compacted by another run)`
      : `  v${v.version}: ${v.inputFiles} files (${(v.inputBytes / MIB).toFixed(1)} MiB) -> ${v.outputFiles} (${(v.outputBytes / MIB).toFixed(1)} MiB), ${v.rows} rows, ${v.ms} ms`,
  );
  return [head, ...lines].join('\n');
}

type Report = CompactionReport | OfflineCompactionReport;

async function run(store: FeatureStore, command: CompactCommand): Promise<Report[]> {
  const datasets = new Set((await store.registry.datasets.listDatasets()).map((d) => d.name));
  const views = new Set((await store.features.list()).map((v) => v.name));
  const names = command.names.length ? command.names : [...datasets, ...views];
  for (const name of names) {
    if (!datasets.has(name) && !views.has(name)) throw new Error(`${name}: no dataset or feature view of that name (datasets: ${[...datasets].join(', ') || 'none'}; views: ${[...views].join(', ') || 'none'})`);
  }
  const reports: Report[] = [];
  for (const name of names) {
    if (!datasets.has(name)) {
      // A view: its versions' offline files (the dataset-only options do not apply).
      const report = await store.offlineCompaction.compactView(name, { targetBytes: command.targetBytes, targetRows: command.targetRows, minSmallFiles: command.minSmallFiles });
      reports.push(report);
      if (!command.json) console.log(formatOfflineCompaction(report));
      continue;
    }
    const report = await store.compaction.compactDataset(name, {
      partitions: command.only.length ? command.only : undefined,
      repartition: command.repartition,
      retention: command.retention,
      targetBytes: command.targetBytes,
      targetRows: command.targetRows,
      minSmallFiles: command.minSmallFiles,
      // Progress on stderr: the report on stdout stays parseable.
      onProgress: (done, of, p) => console.error(`  [${done}/${of}] ${name} ${p.partition}: ${p.inputFiles} -> ${p.outputFiles} files`),
    });
    reports.push(report);
    if (!command.json) console.log(formatCompaction(report));
  }
  return reports;
}

/** `npm run compact`: exit 0 when done, 1 when a compaction failed, 2 for bad arguments or configuration. */
async function main(argv: string[]): Promise<number> {
  let command: CompactCommand;
  try {
    command = parseCompactArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  let store: FeatureStore;
  try {
    const config = loadConfig();
    console.error(`data folder: ${config.dataDir}`);
    store = await FeatureStore.open(config);
  } catch (error) {
    console.error((error as Error).message);
    return error instanceof ConfigError ? 2 : 1;
  }
  try {
    const reports = await run(store, command);
    if (command.json) console.log(JSON.stringify(reports, null, 2));
    return 0;
  } catch (error) {
    console.error(error instanceof FeatureStoreError || error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exitCode = 1;
    },
  );
}
