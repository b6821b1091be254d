import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, linkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { barSchema, fileListLiteral, fileLiteral, sha256, sql, type FeatureStore, type QuerySource, type Sql } from '@app/features';
import { CACHE_DIR, freshCacheDir } from '../support/cache';
import { withStore } from '../support/store-setup';

/** The stream-like history's shape (the bench's options). */
export interface HistoryShape {
  readonly batches: number;
  readonly symbols: number;
  readonly days: number;
  /** Rows per batch: a batch carries the next bar of this many symbols, round-robin. */
  readonly rowsPerBatch: number;
}

export const DATASET = 'bars_stream';
/** The history ends here (fixed, so a cached lake is the same lake). */
export const HISTORY_END = new Date('2026-11-30T00:00:00Z');

/** The time of batch `b`'s bars: batches are spread evenly over the history, the last one at its end. */
export function batchTime(shape: HistoryShape, b: number): Date {
  const start = HISTORY_END.getTime() - shape.days * 86_400_000;
  const step = (shape.days * 86_400_000) / shape.batches;
  return new Date(Math.round((start + (b + 1) * step) / 1000) * 1000);
}

/**
 * SQL for the rows of batches [from, to): batch b carries a bar at its time for the symbols
 * b*R … b*R+R-1 (mod the symbol count), with consistent OHLC prices, `b` and `date` (the day
 * partition) as extra columns, and `ingested_at` one second after the bar (as a stream writes it).
 */
export function batchRowsSql(shape: HistoryShape, from: number, to: number, withIngestedAt: boolean): Sql {
  const start = HISTORY_END.getTime() / 1000 - shape.days * 86_400;
  const step = (shape.days * 86_400) / shape.batches;
  const R = shape.rowsPerBatch;
  return sql`SELECT symbol, ts, open, greatest(open, close) + spread AS high, least(open, close) - spread AS low, close, volume, NULL::DOUBLE AS adj_close
    ${withIngestedAt ? sql`, ts + INTERVAL 1 SECOND AS ingested_at, b, strftime(ts, '%Y-%m-%d') AS date` : sql``}
  FROM (
    SELECT b, printf('SYM%05d', (b * ${R} + j) % ${shape.symbols}) AS symbol,
      to_timestamp(round((${start} + (b + 1) * ${step}))::BIGINT) AS ts,
      50 + (hash(b, j, 1) % 10000) / 100.0 AS open, 50 + (hash(b, j, 2) % 10000) / 100.0 AS close,
      (hash(b, j, 3) % 100) / 100.0 AS spread, 1 + (hash(b, j, 4) % 1000)::DOUBLE AS volume
    FROM range(CAST(${from} AS BIGINT), CAST(${to} AS BIGINT)) t(b), range(CAST(${Math.min(R, shape.symbols)} AS BIGINT)) u(j)
  )`;
}

/** Declares the intraday dataset (`partition: day`) the history goes to. */
export async function declareDataset(store: FeatureStore): Promise<void> {
  const columns = barSchema(DATASET).columns.map((c) => ({ name: c.name, type: c.type, required: c.required }));
  await store.datasets.declare(DATASET, { columns, partition: 'day' });
}

/** Ingests batch `b` (or any rows) through the store's real ingest, as the stream worker does. */
export async function ingestBatch(store: FeatureStore, shape: HistoryShape, b: number, label = `bench batch ${b}`): Promise<{ ms: number; files: number }> {
  const started = performance.now();
  const source: QuerySource = { kind: 'query', sql: batchRowsSql(shape, b, b + 1, false), identity: sha256('bench-lake', label, JSON.stringify(shape)), label };
  const result = await store.ingestor.ingest({ dataset: DATASET, source, timing: { kind: 'close' }, createAs: 'none' });
  return { ms: performance.now() - started, files: result.files.length };
}

/** Where the generated history of `shape` is cached (a data dir: lake and registry). */
export function historyDir(shape: HistoryShape): string {
  return join(CACHE_DIR, `lake-stream-${shape.batches}b-${shape.symbols}s-${shape.days}d-${shape.rowsPerBatch}r`);
}

/**
 * The generated history of `shape`, cached in the bench cache: every batch its own Parquet file
 * in `lake/bars_stream/date=<day>/`, committed through the store's own LakeRepository
 * (createStaging + commit) so the registry records a real batch with its seq. The files are
 * written in bulk by DuckDB (one COPY per chunk of batches, PARTITION_BY batch and day), the
 * way the ingestor writes one batch (same columns, same COPY defaults).
 */
export async function ensureHistory(shape: HistoryShape, log: (line: string) => void): Promise<{ dir: string; generatedMs: number | null }> {
  const dir = historyDir(shape);
  if (existsSync(join(dir, 'DONE'))) return { dir, generatedMs: null };
  const started = performance.now();
  freshCacheDir(dir.slice(CACHE_DIR.length + 1));
  await withStore(dir, async (store) => {
    await declareDataset(store);
    const chunk = 1000;
    const scratch = join(dir, 'generate');
    for (let from = 0; from < shape.batches; from += chunk) {
      const to = Math.min(shape.batches, from + chunk);
      rmSync(scratch, { recursive: true, force: true });
      await store.db.withSession(async (s) => {
        await s.run(sql`SET partitioned_write_max_open_files = ${2 * chunk + 10}`);
        await s.run(sql`COPY (${batchRowsSql(shape, from, to, true)}) TO ${fileLiteral(scratch)} (FORMAT parquet, PARTITION_BY (b, date), FILENAME_PATTERN 'part_{i}')`);
      });
      for (let b = from; b < to; b++) await commitGenerated(store, shape, join(scratch, `b=${b}`), b);
      log(`  generated batches ${to} / ${shape.batches} (${Math.round((performance.now() - started) / 1000)} s)`);
    }
    rmSync(scratch, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'DONE'), `${JSON.stringify(shape)}\n`);
  return { dir, generatedMs: performance.now() - started };
}

// One generated batch (its `date=` folders) moved into a staging folder and committed.
async function commitGenerated(store: FeatureStore, shape: HistoryShape, batchDir: string, b: number): Promise<void> {
  const ingestedAt = new Date(batchTime(shape, b).getTime() + 1000);
  const identity = sha256('bench-lake-generated', String(b), JSON.stringify(shape));
  const batchId = `${ingestedAt.toISOString().replace(/[-:.]/g, '')}-${identity.slice(0, 12)}`;
  const staging = await store.lake.createStaging(batchId);
  for (const part of readdirSync(batchDir)) renameSync(join(batchDir, part), join(staging, part));
  const rows = Math.min(shape.rowsPerBatch, shape.symbols);
  await store.lake.commit(
    staging,
    { batchId, dataset: DATASET, identity, source: `generated batch ${b}`, rows, rejected: 0, ingestedAt: ingestedAt.toISOString(), committedAt: ingestedAt.toISOString() },
    store.registry.datasets,
  );
}

/**
 * A fresh data dir for one run, copied from the cached history: the lake's files hard-linked
 * (they are never written in place; a compaction that removes them leaves the cache's), the
 * rest (registry) copied.
 */
export function copyHistory(from: string, name: string): string {
  const dir = freshCacheDir(name);
  for (const entry of readdirSync(from)) {
    if (entry === 'DONE' || entry === 'tmp') continue;
    if (entry === 'lake') linkTree(join(from, entry), join(dir, entry));
    else cpSync(join(from, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    if (statSync(src).isDirectory()) linkTree(src, join(to, entry));
    else linkSync(src, join(to, entry));
  }
}

/**
 * Files, bytes and rows of each partition of the dataset as readers see it (the lake's listing
 * with the compaction records applied: files a swap replaced stay on disk for a grace period).
 */
export async function lakeLayout(store: FeatureStore): Promise<PartitionLayout[]> {
  const root = store.lake.datasetDir(DATASET);
  const listing = await store.lake.partitionFiles(DATASET);
  const paths = [...listing].flatMap(([partition, names]) => names.map((n) => join(root, partition, n)));
  const rows = await store.db.withSession((s) =>
    s.all<{ file: string; rows: number }>(sql`SELECT file_name AS file, sum(row_group_num_rows)::BIGINT AS rows FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows FROM parquet_metadata(${fileListLiteral(paths)})) GROUP BY file_name`),
  );
  const byFile = new Map(rows.map((r) => [r.file, Number(r.rows)]));
  return [...listing].map(([partition, names]) => {
    const files = names.map((n) => join(root, partition, n));
    return { partition, files: files.length, bytes: files.reduce((n, f) => n + statSync(f).size, 0), rows: files.reduce((n, f) => n + (byFile.get(f) ?? 0), 0) };
  });
}

export interface PartitionLayout {
  readonly partition: string;
  readonly files: number;
  readonly bytes: number;
  readonly rows: number;
}

/** The ideal file count for a target: per partition the larger of ceil(bytes / targetBytes) and ceil(rows / targetRows), summed. */
export function idealFiles(partitions: readonly PartitionLayout[], targetBytes: number, targetRows: number): number {
  return partitions.reduce((n, p) => n + Math.max(1, Math.ceil(p.bytes / targetBytes), Math.ceil(p.rows / targetRows)), 0);
}
