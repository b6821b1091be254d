import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbClient, FileProvider, fileLiteral, loadConfig, sql } from '@app/features';
import { ensureCsv } from '../ingest.bench';
import { CACHE_DIR } from '../support/cache';
import { timed } from '../support/measure';
import { options } from '../support/options';
import { machine, ratio } from '../support/report';
import { median } from '../support/stats';
import { withStore } from '../support/store-setup';

type Side = 'lake ingest' | 'COPY partitioned' | 'COPY single file';

interface Run {
  readonly side: Side;
  readonly ms: number;
  readonly rows: number;
  readonly files: number;
  readonly phases?: Record<string, number>;
}

/**
 * Ingest of N synthetic daily bars (default 40,000 symbols x 250 days = 10M rows) through the
 * store, against DuckDB's own COPY of the same CSV in the same process: into the same month
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
  const sides: Array<() => Promise<Run>> = [() => lakeIngest(csv), () => copyPartitioned(csv), () => copySingleFile(csv)];
  const runs: Run[] = [];
  for (let round = 0; round < repeat; round++) {
    for (let k = 0; k < sides.length; k++) {
      const run = await sides[(round + k) % sides.length]();
      if (run.rows !== expected) throw new Error(`${run.side} wrote ${run.rows} rows, expected ${expected}`);
      runs.push(run);
      console.error(`round ${round + 1}: ${run.side} ${Math.round(run.ms)} ms${run.phases ? ` ${JSON.stringify(run.phases)}` : ''}`);
    }
  }
  const of = (side: Side): Run[] => runs.filter((r) => r.side === side);
  const med = (side: Side): number => median(of(side).map((r) => r.ms));
  const spread = (side: Side): string => {
    const ms = of(side).map((r) => r.ms);
    return `${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))}`;
  };
  const ours = med('lake ingest');
  const partitioned = med('COPY partitioned');
  const single = med('COPY single file');
  const phaseNames = [...new Set(of('lake ingest').flatMap((r) => Object.keys(r.phases ?? {})))];
  const phases = Object.fromEntries(phaseNames.map((p) => [p, median(of('lake ingest').map((r) => r.phases?.[p] ?? 0))]));
  const settings = loadConfig({ DATA_DIR: join(CACHE_DIR, 'lake-ingest-run') }).duckdb;
  const json = {
    machine: machine(),
    rows: expected,
    csvMiB: Math.round(statSync(csv).size / 1048576),
    repeat,
    duckdb: settings,
    medianMs: { ours, partitioned, single },
    ratioVsPartitioned: ratio(partitioned, ours),
    ratioVsSingleFile: ratio(single, ours),
    oursPhasesMedianMs: phases,
    runs,
  };
  const row = (side: Side, ms: number): string =>
    `| ${side} | ${Math.round(ms)} | ${spread(side)} | ${Math.round(expected / (ms / 1000))} | ${of(side)[0].files} | ${ratio(partitioned, ms)} | ${ratio(single, ms)} |`;
  const markdown = [
    `## Ingest of ${expected.toLocaleString('en-US')} daily bars vs DuckDB COPY`,
    '',
    `${shape.symbols} symbols x ${shape.days} days, CSV of ${json.csvMiB} MiB; ${repeat} rounds, sides alternating (each round starts with the next), medians;`,
    `machine ${JSON.stringify(json.machine)}; DuckDB settings of the store for all sides (${JSON.stringify(settings)}).`,
    'Lake ingest: `store.ingest.run(FileProvider(csv))`: hash the file (batch identity), read and type every row, validate, quarantine, resolve duplicates, gap report, write Parquet by month, atomic commit.',
    "COPY partitioned: `COPY (SELECT * EXCLUDE (date), date AS ts, strftime(date, '%Y-%m') AS date FROM read_csv(f)) TO dir (FORMAT parquet, PARTITION_BY (date))`.",
    'COPY single file: `COPY (SELECT * FROM read_csv(f)) TO f.parquet (FORMAT parquet)`.',
    '',
    '| side | median ms | min–max ms | rows/s | files | speed vs COPY partitioned | speed vs COPY single file |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('lake ingest', ours),
    row('COPY partitioned', partitioned),
    row('COPY single file', single),
    '',
    `Lake ingest phases (median ms): ${JSON.stringify(phases)}.`,
  ].join('\n');
  return { markdown, json };
}

async function lakeIngest(csv: string): Promise<Run> {
  const dataDir = join(CACHE_DIR, 'lake-ingest-run');
  rmSync(dataDir, { recursive: true, force: true });
  try {
    return await withStore(dataDir, async (store) => {
      const provider = new FileProvider({ path: csv, timing: { kind: 'start', interval: { text: '1d', seconds: 86400 } } });
      const { ms, value } = await timed(() => store.ingest.run(provider, { dataset: 'bars_1d', createAs: 'bars' }));
      if (value.failures.length) throw new Error(JSON.stringify(value.failures));
      const batch = value.batches[0];
      const rows = await countRows(join(dataDir, 'lake', 'bars_1d'));
      return { side: 'lake ingest', ms, rows, files: batch.files.length, phases: { ...batch.phases } };
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function copyPartitioned(csv: string): Promise<Run> {
  const out = join(CACHE_DIR, 'copy-partitioned');
  rmSync(out, { recursive: true, force: true });
  try {
    const ms = await withEngine((db) =>
      db.withSession((s) =>
        s.run(
          sql`COPY (SELECT * EXCLUDE (date), date AS ts, strftime(date, '%Y-%m') AS date FROM read_csv(${fileLiteral(csv)}))
           TO ${fileLiteral(out)} (FORMAT parquet, PARTITION_BY (date))`,
        ),
      ),
    );
    return { side: 'COPY partitioned', ms, rows: await countRows(out), files: parquetFiles(out) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function copySingleFile(csv: string): Promise<Run> {
  const out = join(CACHE_DIR, 'copy-single.parquet');
  try {
    const ms = await withEngine((db) => db.withSession((s) => s.run(sql`COPY (SELECT * FROM read_csv(${fileLiteral(csv)})) TO ${fileLiteral(out)} (FORMAT parquet)`)));
    return { side: 'COPY single file', ms, rows: await countRows(out), files: 1 };
  } finally {
    rmSync(out, { force: true });
  }
}

// A fresh engine as the store opens it (threads, memory limit, spill folder), timing only `work`.
async function withEngine(work: (db: DuckDbClient) => Promise<unknown>): Promise<number> {
  const config = loadConfig({ DATA_DIR: join(CACHE_DIR, 'lake-ingest-run') });
  const db = await DuckDbClient.open({ ...config.duckdb, tempDirectory: join(CACHE_DIR, 'copy-spill') });
  try {
    return (await timed(() => work(db))).ms;
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
