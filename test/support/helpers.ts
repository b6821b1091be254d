import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDbClient, FeatureStore, FixedClock, fileLiteral, loadConfig, raw, sql, type AppConfig, type Clock, type Sql, type SqlRow } from '@app/features';

export const ROOT = resolve(__dirname, '..', '..');
export const SAMPLE_CSV = join(ROOT, 'data', 'samples', 'btc-usd-daily-2021.csv');

/** A fresh DATA_DIR under the OS temp folder, removed by `cleanup`. */
export function tempDataDir(prefix = 'fs-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config for tests: a temp data dir, no bootstrap unless asked. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): AppConfig {
  // Background compaction off unless a test asks: it would change the files other tests count.
  return loadConfig({ DATA_DIR: dataDir, BOOTSTRAP: 'false', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', LAKE_COMPACTION_INTERVAL_S: '0', ...env });
}

export async function openStore(dataDir: string, clock: Clock = new FixedClock(new Date('2026-01-01T12:00:00Z')), env: Record<string, string> = {}): Promise<FeatureStore> {
  return FeatureStore.open(testConfig(dataDir, env), clock);
}

/** Runs a query on a throwaway DuckDB (an independent reader of the lake's Parquet files). */
export async function query<T extends SqlRow = SqlRow>(text: Sql | string): Promise<T[]> {
  const db = await DuckDbClient.open();
  try {
    return await db.withSession((s) => s.all<T>(text));
  } finally {
    db.close();
  }
}

/** Every row of a dataset's committed files, superseded versions included. */
export function lakeRows(dataDir: string, dataset: string, orderBy = 'symbol, ts, ingested_at'): Promise<SqlRow[]> {
  const files = fileLiteral(`${dataDir}/lake/${dataset}/date=*/*.parquet`);
  return query(sql`SELECT * EXCLUDE (date) FROM read_parquet(${files}, hive_partitioning = true) ORDER BY ${raw(orderBy)}`);
}

export function writeText(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * Bars in the vendor layout from an independent, plain-TypeScript reading of a CSV: the
 * reference the lake is compared with. Later duplicates win; ts = date + 1 day.
 */
export function referenceDailyBars(csv: string, symbol: string): Map<string, Record<string, number | string>> {
  const [header, ...lines] = csv.trim().split('\n');
  const names = header.split(',');
  const bars = new Map<string, Record<string, number | string>>();
  for (const line of lines) {
    const cells = line.split(',');
    const row = Object.fromEntries(names.map((n, i) => [n, cells[i]]));
    const ts = new Date(Date.parse(`${row.Date}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', 'Z');
    bars.set(ts, {
      symbol,
      ts,
      open: Number(row.Open),
      high: Number(row.High),
      low: Number(row.Low),
      close: Number(row.Close),
      volume: Number(row.Volume),
      adj_close: Number(row['Adj Close']),
    });
  }
  return bars;
}
