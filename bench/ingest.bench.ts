import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbClient, FileProvider, fileLiteral, sql, syntheticBarsQuery } from '@app/features';
import { CACHE_DIR } from './support/cache';
import { peakRss, timed } from './support/measure';
import { options } from './support/options';
import { commandLine, machine, ratio, writeResults } from './support/report';
import { best } from './support/stats';
import { withStore } from './support/store-setup';

export interface Shape {
  readonly name: string;
  readonly symbols: number;
  readonly days: number;
}

/**
 * Ingest benchmark: N synthetic daily bars in a CSV file, ingested into the lake (typed,
 * validated, deduplicated, partitioned by date, committed atomically), against DuckDB's own
 * `COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)` of the same file, in the same run.
 * Two shapes of 10M bars: a year of a broad universe (250 date partitions) and an 8-year
 * backfill (2,000 date partitions), because the lake writes one file per date per batch.
 */
export async function runIngestBench(args: string[]): Promise<void> {
  const opts = options(args);
  const scale = Number(opts.scale ?? '1');
  const repeats = Number(opts.repeats ?? '2');
  const shapes: Shape[] = [
    { name: 'year-of-broad-universe', symbols: Math.round(40_000 * scale), days: 250 },
    { name: 'eight-year-backfill', symbols: Math.round(5_000 * scale), days: 2_000 },
  ];
  mkdirSync(CACHE_DIR, { recursive: true });
  const results = [];
  for (const shape of shapes) {
    const csv = await ensureCsv(shape);
    const rows = shape.symbols * shape.days;
    const baseline: number[] = [];
    const ours: number[] = [];
    let peak = 0;
    let accepted = 0;
    let phases: Record<string, number> = {};
    for (let r = 0; r < repeats; r++) {
      baseline.push(await duckdbCopy(csv));
      const run = await ingestOnce(csv);
      ours.push(run.ms);
      peak = Math.max(peak, run.peakMiB);
      accepted = run.accepted;
      phases = run.phases;
    }
    const baselineRate = rows / (best(baseline) / 1000);
    const oursRate = accepted / (best(ours) / 1000);
    results.push({
      shape: shape.name,
      symbols: shape.symbols,
      days: shape.days,
      rows,
      accepted,
      csvMiB: Math.round(statSync(csv).size / 1048576),
      baselineMs: baseline.map(Math.round),
      oursMs: ours.map(Math.round),
      baselineRowsPerSec: Math.round(baselineRate),
      oursRowsPerSec: Math.round(oursRate),
      ratio: ratio(oursRate, baselineRate),
      oursPeakRssMiB: peak,
      oursPhasesMs: phases,
    });
  }
  const md = [
    `# Ingest benchmark (${new Date().toISOString()})`,
    '',
    `Command: \`npm run bench -- ingest${args.length ? ` ${args.join(' ')}` : ''}\`; machine: ${JSON.stringify(machine())}; best of ${repeats}.`,
    'Baseline: DuckDB `COPY (SELECT * FROM read_csv(f)) TO x.parquet (FORMAT parquet)` on the same file, same run.',
    '',
    '| shape | rows | date partitions | DuckDB COPY rows/s | lake ingest rows/s | ratio | peak RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.shape} | ${r.rows} | ${r.days} | ${r.baselineRowsPerSec} | ${r.oursRowsPerSec} | ${r.ratio} | ${r.oursPeakRssMiB} |`),
    '',
    'Lake ingest phases (ms, last run): ' + results.map((r) => `${r.shape}: ${JSON.stringify(r.oursPhasesMs)}`).join('; '),
  ].join('\n');
  writeResults('ingest', { command: commandLine('ingest', args), machine: machine(), results }, md);
}

/** The cached CSV of `shape`'s synthetic daily bars (vendor layout: start date), generated once. */
export async function ensureCsv(shape: Shape): Promise<string> {
  const path = join(CACHE_DIR, `bars-${shape.symbols}x${shape.days}.csv`);
  if (existsSync(path)) return path;
  console.error(`generating ${path} …`);
  const db = await DuckDbClient.open();
  try {
    const bars = syntheticBarsQuery({ symbols: shape.symbols, days: shape.days, seed: 7, endDate: new Date('2025-12-31T00:00:00Z'), gapRate: 0 });
    // The vendor convention: the bar's start date, one row per symbol and day, by date.
    await db.withSession((s) =>
      s.run(
        sql`COPY (SELECT symbol, strftime(ts - INTERVAL 1 DAY, '%Y-%m-%d') AS date, open, high, low, close, volume FROM (${bars}) ORDER BY date, symbol)
         TO ${fileLiteral(`${path}.tmp`)} (FORMAT csv, HEADER)`,
      ),
    );
  } finally {
    db.close();
  }
  renameSync(`${path}.tmp`, path);
  return path;
}

async function duckdbCopy(csv: string): Promise<number> {
  const out = join(CACHE_DIR, 'baseline.parquet');
  const db = await DuckDbClient.open();
  try {
    const { ms } = await timed(() => db.withSession((s) => s.run(sql`COPY (SELECT * FROM read_csv(${fileLiteral(csv)})) TO ${fileLiteral(out)} (FORMAT parquet)`)));
    return ms;
  } finally {
    db.close();
    rmSync(out, { force: true });
  }
}

async function ingestOnce(csv: string): Promise<{ ms: number; peakMiB: number; accepted: number; phases: Record<string, number> }> {
  const dataDir = join(CACHE_DIR, 'lake-run');
  rmSync(dataDir, { recursive: true, force: true });
  try {
    return await withStore(dataDir, async (store) => {
      const provider = new FileProvider({ path: csv, timing: { kind: 'start', interval: { text: '1d', seconds: 86400 } } });
      const { peakMiB, value } = await peakRss(() => timed(() => store.ingest.run(provider, { dataset: 'bars_1d', createAs: 'bars' })));
      const summary = value.value;
      if (summary.failures.length) throw new Error(JSON.stringify(summary.failures));
      return { ms: value.ms, peakMiB, accepted: summary.accepted, phases: { ...summary.batches[0].phases } };
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
