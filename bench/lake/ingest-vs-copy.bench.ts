import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DuckDbClient, FileProvider, fileLiteral, loadConfig, raw, sql } from '@app/features';
import { ensureCsv } from '../ingest.bench';
import { CACHE_DIR } from '../support/cache';
import { options } from '../support/options';
import { machine, ratio } from '../support/report';
import { median } from '../support/stats';
import { withStore } from '../support/store-setup';

type Side = 'lake ingest' | 'COPY partitioned' | 'COPY single file' | 'COPY validating';

interface Run {
  readonly side: Side;
  readonly ms: number;
  /** CPU time of this process (DuckDB's threads included) during the run: less sensitive to a busy machine than wall time. */
  readonly cpuMs: number;
  readonly rows: number;
  readonly files: number;
  readonly phases?: Record<string, number>;
}

/**
 * Ingest of N synthetic daily bars (`--symbols 40000 --days 250` = 10M rows by default; the CSV
 * is bench/ingest.bench.ts's, cached in bench/.cache) through the store, against DuckDB's own COPY of the same CSV in the same process: into the same month
 * partitions (`PARTITION_BY (date)`, the fair baseline) and into one file (the old baseline).
 * The three sides alternate (each round starts with the next one), `--repeat N` rounds
 * (default 3), medians; both baselines run on an engine with the store's DuckDB settings.
 * Returns the Markdown section and the raw figures; `lake.bench.ts` puts them into lake.md.
 */
export async function runLakeIngestComparison(args: string[]): Promise<{ markdown: string; json: unknown }> {
  const opts = options(args);
  const repeat = Number(opts.repeat ?? '3');
  const shape = { name: 'daily-bars', symbols: Number(opts.symbols ?? '40000'), days: Number(opts.days ?? '250') };
  mkdirSync(CACHE_DIR, { recursive: true });
  const csv = await ensureCsv(shape);
  const expected = shape.symbols * shape.days;
  const sides: Array<() => Promise<Run>> = [() => lakeIngest(csv), () => copyPartitioned(csv), () => copySingleFile(csv), () => copyValidating(csv)];
  const runs: Array<Run & { round: number; load1: number }> = [];
  for (let round = 0; round < repeat; round++) {
    for (let k = 0; k < sides.length; k++) {
      const load1 = Number(loadavg()[0].toFixed(2));
      const run = await sides[(round + k) % sides.length]();
      if (run.rows !== expected) throw new Error(`${run.side} wrote ${run.rows} rows, expected ${expected}`);
      runs.push({ ...run, round, load1 });
      console.error(`round ${round + 1}: ${run.side} ${Math.round(run.ms)} ms (cpu ${Math.round(run.cpuMs)} ms, load ${load1})${run.phases ? ` ${JSON.stringify(run.phases)}` : ''}`);
    }
  }
  const of = (side: Side): Run[] => runs.filter((r) => r.side === side);
  const med = (side: Side, key: 'ms' | 'cpuMs' = 'ms'): number => median(of(side).map((r) => r[key]));
  const spread = (side: Side): string => {
    const ms = of(side).map((r) => r.ms);
    return `${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))}`;
  };
  // Each round's own ratio (the sides of a round ran back to back): steadier than a ratio of medians on a shared machine.
  const paired = (baseline: Side): number =>
    median([...Array(repeat).keys()].map((round) => runs.find((r) => r.round === round && r.side === baseline)!.ms / runs.find((r) => r.round === round && r.side === 'lake ingest')!.ms));
  const ours = med('lake ingest');
  const partitioned = med('COPY partitioned');
  const single = med('COPY single file');
  const validating = med('COPY validating');
  const phaseNames = [...new Set(of('lake ingest').flatMap((r) => Object.keys(r.phases ?? {})))];
  const phases = Object.fromEntries(phaseNames.map((p) => [p, median(of('lake ingest').map((r) => r.phases?.[p] ?? 0))]));
  const settings = loadConfig({ DATA_DIR: join(CACHE_DIR, 'lake-ingest-run') }).duckdb;
  const loads = runs.map((r) => r.load1);
  const json = {
    machine: machine(),
    rows: expected,
    csvMiB: Math.round(statSync(csv).size / 1048576),
    repeat,
    duckdb: settings,
    medianMs: { ours, partitioned, single },
    medianCpuMs: { ours: med('lake ingest', 'cpuMs'), partitioned: med('COPY partitioned', 'cpuMs'), single: med('COPY single file', 'cpuMs'), validating: med('COPY validating', 'cpuMs') },
    ratioVsPartitioned: ratio(partitioned, ours),
    ratioVsSingleFile: ratio(single, ours),
    pairedRatioVsPartitioned: Number(paired('COPY partitioned').toFixed(2)),
    pairedRatioVsSingleFile: Number(paired('COPY single file').toFixed(2)),
    pairedRatioVsValidating: Number(paired('COPY validating').toFixed(2)),
    loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
    oursPhasesMedianMs: phases,
    runs,
  };
  const row = (side: Side): string => {
    const ms = med(side);
    const cpu = med(side, 'cpuMs');
    return `| ${side} | ${Math.round(ms)} | ${spread(side)} | ${Math.round(cpu)} | ${Math.round(expected / (ms / 1000))} | ${of(side)[0].files} | ${ratio(partitioned, ms)} | ${ratio(single, ms)} | ${ratio(validating, ms)} | ${ratio(json.medianCpuMs.partitioned, cpu)} |`;
  };
  const markdown = [
    `## Ingest of ${expected.toLocaleString('en-US')} daily bars vs DuckDB COPY`,
    '',
    `${shape.symbols} symbols x ${shape.days} days, CSV of ${json.csvMiB} MiB; ${repeat} rounds, sides alternating (each round starts with the next), medians;`,
    `machine ${JSON.stringify(json.machine)}, 1-minute load average ${json.loadAverage.min}–${json.loadAverage.max} during the runs (the machine is shared);`,
    `DuckDB settings of the store for all sides (${JSON.stringify(settings)}).`,
    'Lake ingest: `store.ingest.run(FileProvider(csv))`: hash the file (batch identity), read and type every row, validate, quarantine, resolve duplicates, gap report, write Parquet by month, atomic commit.',
    "COPY partitioned: `COPY (SELECT * EXCLUDE (date), date AS ts, strftime(date, '%Y-%m') AS date FROM read_csv(f)) TO dir (FORMAT parquet, PARTITION_BY (date))`.",
    "COPY validating: the same COPY writing what the lake writes (ts at the bar's close as TIMESTAMPTZ, `adj_close`, `ingested_at`, partitioned by the close's month) and keeping only the rows the lake's rules accept (required values present, finite prices above 0, low <= open, close <= high, volume >= 0) as a WHERE: DuckDB doing the lake's row work in one statement, without the batch's hash, quarantine, duplicate and gap report or commit. The fair baseline for a validating ingest.",
    'COPY single file: `COPY (SELECT * FROM read_csv(f)) TO f.parquet (FORMAT parquet)`.',
    '',
    '| side | median ms | min–max ms | median CPU ms | rows/s | files | speed vs COPY partitioned | speed vs COPY single file | speed vs COPY validating | CPU ratio vs COPY partitioned |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('lake ingest'),
    row('COPY partitioned'),
    row('COPY single file'),
    row('COPY validating'),
    '',
    `Per-round speed of the lake ingest (median of the rounds' own ratios): ${json.pairedRatioVsPartitioned}x COPY partitioned, ${json.pairedRatioVsSingleFile}x COPY single file, ${json.pairedRatioVsValidating}x COPY validating.`,
    `Lake ingest phases (median ms): ${JSON.stringify(phases)}; the rest of its time is the file's SHA-256 (batch identity) and the registry.`,
  ].join('\n');
  return { markdown, json };
}

async function lakeIngest(csv: string): Promise<Run> {
  const dataDir = join(CACHE_DIR, 'lake-ingest-run');
  rmSync(dataDir, { recursive: true, force: true });
  try {
    return await withStore(dataDir, async (store) => {
      const provider = new FileProvider({ path: csv, timing: { kind: 'start', interval: { text: '1d', seconds: 86400 } } });
      const { ms, cpuMs, value } = await timed(() => store.ingest.run(provider, { dataset: 'bars_1d', createAs: 'bars' }));
      if (value.failures.length) throw new Error(JSON.stringify(value.failures));
      const batch = value.batches[0];
      const rows = await countRows(join(dataDir, 'lake', 'bars_1d'));
      return { side: 'lake ingest', ms, cpuMs, rows, files: batch.files.length, phases: { ...batch.phases } };
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function copyPartitioned(csv: string): Promise<Run> {
  const out = join(CACHE_DIR, 'copy-partitioned');
  rmSync(out, { recursive: true, force: true });
  try {
    const { ms, cpuMs } = await withEngine((db) =>
      db.withSession((s) =>
        s.run(
          sql`COPY (SELECT * EXCLUDE (date), date AS ts, strftime(date, '%Y-%m') AS date FROM read_csv(${fileLiteral(csv)}))
           TO ${fileLiteral(out)} (FORMAT parquet, PARTITION_BY (date))`,
        ),
      ),
    );
    return { side: 'COPY partitioned', ms, cpuMs, rows: await countRows(out), files: parquetFiles(out) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function copyValidating(csv: string): Promise<Run> {
  const out = join(CACHE_DIR, 'copy-validating');
  rmSync(out, { recursive: true, force: true });
  const finite = ['open', 'high', 'low', 'close', 'volume'].map((c) => `isfinite(${c})`).join(' AND ');
  try {
    const { ms, cpuMs } = await withEngine((db) =>
      db.withSession((s) =>
        s.run(
          sql`COPY (SELECT symbol, ts, open, high, low, close, volume, NULL::DOUBLE AS adj_close, ${new Date('2026-01-01T00:00:00Z')} AS ingested_at, strftime(ts, '%Y-%m') AS date
              FROM (SELECT *, CAST(date AS TIMESTAMPTZ) + INTERVAL 1 DAY AS ts FROM read_csv(${fileLiteral(csv)}))
              WHERE symbol IS NOT NULL AND symbol <> '' AND ts IS NOT NULL AND ${raw(finite)} AND open > 0 AND high > 0 AND low > 0 AND close > 0
                AND low <= high AND open BETWEEN low AND high AND close BETWEEN low AND high AND volume >= 0)
           TO ${fileLiteral(out)} (FORMAT parquet, PARTITION_BY (date))`,
        ),
      ),
    );
    return { side: 'COPY validating', ms, cpuMs, rows: await countRows(out), files: parquetFiles(out) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function copySingleFile(csv: string): Promise<Run> {
  const out = join(CACHE_DIR, 'copy-single.parquet');
  try {
    const { ms, cpuMs } = await withEngine((db) => db.withSession((s) => s.run(sql`COPY (SELECT * FROM read_csv(${fileLiteral(csv)})) TO ${fileLiteral(out)} (FORMAT parquet)`)));
    return { side: 'COPY single file', ms, cpuMs, rows: await countRows(out), files: 1 };
  } finally {
    rmSync(out, { force: true });
  }
}

// A fresh engine as the store opens it (threads, memory limit, spill folder), timing only `work`.
async function withEngine(work: (db: DuckDbClient) => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const config = loadConfig({ DATA_DIR: join(CACHE_DIR, 'lake-ingest-run') });
  const db = await DuckDbClient.open({ ...config.duckdb, tempDirectory: join(CACHE_DIR, 'copy-spill') });
  try {
    const { ms, cpuMs } = await timed(() => work(db));
    return { ms, cpuMs };
  } finally {
    db.close();
  }
}

async function countRows(path: string): Promise<number> {
  const glob = statSync(path).isDirectory() ? join(path, '**', '*.parquet') : path;
  const db = await DuckDbClient.open();
  try {
    const row = await db.withSession((s) => s.one<{ n: number }>(sql`SELECT count(*) AS n FROM read_parquet(${glob})`));
    return Number(row?.n ?? 0);
  } finally {
    db.close();
  }
}

function parquetFiles(dir: string): number {
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;
}

// Wall and CPU time of one call (CPU of the whole process: DuckDB's threads and the file hash).
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (used.user + used.system) / 1000, value };
}
