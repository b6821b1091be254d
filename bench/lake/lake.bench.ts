import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { FeatureStore, fileLiteral, loadConfig, sql, type CompactionReport } from '@app/features';
import { timed } from '../support/measure';
import { options } from '../support/options';
import { commandLine, machine, writeResults } from '../support/report';
import { DATASET, copyHistory, ensureHistory, idealFiles, lakeLayout, type HistoryShape } from './history';
import { ReadSide, entityRows, setUpViews } from './reads';
import { lakeMarkdown, summariseReads, type LakeResult, type ReadRuns } from './report';

/**
 * Lake benchmark (issue 19, "Measured"): a stream-like history of many small batches (each its
 * own Parquet file in the day partition it lands in, each recorded in the registry with its seq),
 * then three reads over it, before and after a compaction of the dataset, in the same run:
 * 1. a point-in-time training set of a stream view (after a new small batch: its catch-up
 *    materialisation reads the lake, then the join reads the offline store);
 * 2. a full materialisation of a view never materialised before (reads the whole lake);
 * 3. the online refresh the stream worker runs after a batch lands: with its warm cache of recent
 *    rows, with a new cache (its first refresh), and without one (a push).
 * Two copies of the cached history are opened side by side, one compacted (FeatureStore.compaction,
 * the target given explicitly so the ideal file count is known), and the reads alternate between them (`--repeat` rounds, medians), so load from other processes falls on both.
 * Then, unless --skip-ingest-comparison, bench/lake/ingest-vs-copy.bench.ts (if present).
 *
 * Options: --batches 20000 --symbols 5000 --days 30 --rows-per-batch (symbols / 10) --repeat 3
 *          --entity-symbols 1000 --entity-times 10 --target-mib 128 --target-rows 5000000
 *          --skip-ingest-comparison
 */
export async function runLakeBench(args: string[]): Promise<void> {
  const opts = options(args);
  const symbols = Number(opts.symbols ?? '5000');
  const shape: HistoryShape = {
    batches: Number(opts.batches ?? '20000'),
    symbols,
    days: Number(opts.days ?? '30'),
    rowsPerBatch: Number(opts['rows-per-batch'] ?? String(Math.max(1, Math.round(symbols / 10)))),
  };
  const repeat = Math.max(1, Number(opts.repeat ?? '3'));
  const targetBytes = Number(opts['target-mib'] ?? '128') * 1048576;
  const targetRows = Number(opts['target-rows'] ?? '5000000');
  const log = (line: string) => console.error(line);
  const benchStarted = performance.now();

  log(`lake: history of ${shape.batches} batches x ${shape.rowsPerBatch} rows, ${shape.symbols} symbols, ${shape.days} days …`);
  const history = await ensureHistory(shape, log);
  const dirs = { before: copyHistory(history.dir, 'lake-run-before'), after: copyHistory(history.dir, 'lake-run-after') };
  // No background compaction: the "before" copy must stay as the stream left it.
  const open = (dir: string) => FeatureStore.open(loadConfig({ DATA_DIR: dir, LAKE_COMPACTION_INTERVAL_S: '0' }));
  const stores = { before: await open(dirs.before), after: await open(dirs.after) };
  const sides = { before: new ReadSide('before', stores.before, shape), after: new ReadSide('after', stores.after, shape) };
  let result: LakeResult;
  try {
    const layoutBefore = await lakeLayout(stores.after);
    // Compacted before the views are set up, so both copies then set them up the same way.
    log('lake: compacting the "after" copy …');
    const compaction = await timed(() => stores.after.compaction.compactDataset(DATASET, { targetBytes, targetRows }));
    const report: CompactionReport = compaction.value;
    const layoutAfter = await lakeLayout(stores.after);

    log('lake: the stream view applied and materialised on both copies …');
    const setupMs = { before: (await timed(() => setUpViews(stores.before))).ms, after: (await timed(() => setUpViews(stores.after))).ms };
    const measured = [sides.before, sides.after];

    const rows = entityRows(shape, Number(opts['entity-symbols'] ?? '1000'), Number(opts['entity-times'] ?? '10'));
    const runs: Record<'before' | 'after', ReadRuns> = { before: emptyRuns(), after: emptyRuns() };
    const differing: number[] = [];
    const loadBefore = loadavg()[0];
    for (let r = 0; r < repeat; r++) {
      // Which side goes first alternates, so neither always runs on a warmer page cache.
      const order = r % 2 === 0 ? measured : [...measured].reverse();
      const refreshBatch = shape.batches + 2 * r;
      const trainingBatch = refreshBatch + 1;
      log(`lake: round ${r + 1} / ${repeat} (${order.map((s) => s.name).join(', ')})`);
      for (const side of order) {
        await side.primeWorkerCache(refreshBatch);
        runs[side.name].ingestMs.push(await side.land(refreshBatch));
      }
      for (const kind of ['warm', 'cold', 'push'] as const) for (const side of order) runs[side.name].refreshMs[kind].push(await side.timeRefresh(refreshBatch, kind));
      for (const side of order) runs[side.name].ingestMs.push(await side.land(trainingBatch));
      const files: Record<string, string> = {};
      for (const side of order) {
        const set = await side.timeTrainingSet(rows);
        runs[side.name].trainingSetMs.push(set.ms);
        runs[side.name].trainingSetCatchUpMs.push(set.catchUpMs);
        files[side.name] = set.file;
      }
      if (files.after) differing.push(await rowsDiffering(stores.before, files.before, files.after));
      for (const side of order) {
        const m = await side.timeMaterialisation();
        runs[side.name].materialiseMs.push(m.ms);
        runs[side.name].materialiseRows = m.rows;
        runs[side.name].materialisePhases.push(m.phases);
      }
    }

    result = {
      command: commandLine('lake', args),
      machine: machine(),
      shape,
      fullScale: shape.batches >= 20000 && shape.symbols >= 5000 && shape.days >= 30,
      totalRows: shape.batches * Math.min(shape.rowsPerBatch, shape.symbols),
      history: { cached: history.generatedMs === null, generatedMs: history.generatedMs === null ? null : Math.round(history.generatedMs) },
      setupMaterialiseMs: { before: Math.round(setupMs.before), after: Math.round(setupMs.after) },
      entityRows: rows.length,
      repeat,
      target: { bytes: targetBytes, rows: targetRows },
      files: {
        before: layoutBefore.reduce((n, p) => n + p.files, 0),
        after: layoutAfter.reduce((n, p) => n + p.files, 0),
        partitions: layoutBefore.length,
        bytesBefore: layoutBefore.reduce((n, p) => n + p.bytes, 0),
        bytesAfter: layoutAfter.reduce((n, p) => n + p.bytes, 0),
        idealForInput: idealFiles(layoutBefore, targetBytes, targetRows),
        idealForOutput: idealFiles(layoutAfter, targetBytes, targetRows),
      },
      compaction: {
        wallMs: Math.round(compaction.ms),
        reportMs: Math.round(report.ms),
        partitions: report.partitions.length,
        busy: report.busy.length,
        rows: report.partitions.reduce((n, p) => n + p.rows, 0),
        droppedVersions: report.partitions.reduce((n, p) => n + p.droppedVersions, 0),
        slowestPartitionMs: Math.max(0, ...report.partitions.map((p) => p.ms)),
      },
      reads: summariseReads(runs),
      trainingSetRowsDiffering: differing,
      loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0].toFixed(2)) },
      benchMs: 0,
      ingestComparison: null,
    };
  } finally {
    sides.before.close();
    sides.after.close();
    await stores.before.close();
    await stores.after.close();
    rmSync(dirs.before, { recursive: true, force: true });
    rmSync(dirs.after, { recursive: true, force: true });
  }

  let appendix = '';
  if (!('skip-ingest-comparison' in opts)) {
    const comparison = await ingestComparison(args, log);
    result.ingestComparison = comparison.json;
    appendix = comparison.markdown;
  }
  result.benchMs = Math.round(performance.now() - benchStarted);
  writeResults('lake', result, `${lakeMarkdown(result)}${appendix ? `\n\n${appendix}` : ''}`);
}

function emptyRuns(): ReadRuns {
  return { ingestMs: [], refreshMs: { warm: [], cold: [], push: [] }, trainingSetMs: [], trainingSetCatchUpMs: [], materialiseMs: [], materialiseRows: 0, materialisePhases: [] };
}

// Rows in one training set and not the other (both ways): the compaction must not change answers.
async function rowsDiffering(store: FeatureStore, a: string, b: string): Promise<number> {
  const row = await store.db.withSession((s) =>
    s.one<{ n: number }>(sql`SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet(${fileLiteral(a)}) EXCEPT ALL SELECT * FROM read_parquet(${fileLiteral(b)})))
      + (SELECT count(*) FROM (SELECT * FROM read_parquet(${fileLiteral(b)}) EXCEPT ALL SELECT * FROM read_parquet(${fileLiteral(a)}))) AS n`),
  );
  return Number(row?.n ?? -1);
}

type IngestComparison = (args: string[]) => Promise<{ markdown: string; json: unknown }>;

// The ingest-vs-COPY comparison of the same issue, written by another hand: run when its file is
// there, so a checkout without it still runs this bench.
async function ingestComparison(args: string[], log: (line: string) => void): Promise<{ markdown: string; json: unknown }> {
  const path = './ingest-vs-copy.bench';
  let run: IngestComparison | undefined;
  try {
    run = ((await import(path)) as { runLakeIngestComparison?: IngestComparison }).runLakeIngestComparison;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !(error as Error).message.includes('ingest-vs-copy')) throw error;
  }
  if (!run) {
    log('lake: bench/lake/ingest-vs-copy.bench.ts not present: the ingest comparison is skipped');
    return { markdown: '## Ingest vs DuckDB COPY\n\nNot run: bench/lake/ingest-vs-copy.bench.ts is not in this checkout.', json: { skipped: 'not present' } };
  }
  log('lake: ingest vs DuckDB COPY …');
  return run(args);
}
