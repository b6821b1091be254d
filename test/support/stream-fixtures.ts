import type { Message } from 'kafkajs';
import { SyntheticProvider, applyCatalog, fileLiteral, marketCatalog, sql, type FeatureStore, type SqlRow } from '@app/features';
import { openStore, query } from './helpers';
import type { Bar } from './reference-features';
import type { Worker } from './stream-worker';

// Fixtures of the stream's end-to-end tests: bars, their Kafka messages, the lake read back, a seeded store.

export const END = new Date('2026-01-01T00:00:00Z');
export const DAY = 86_400_000;

/** Bars of `symbols` for `days` days after END (ts = close), values varying per message. */
export function bars(symbols: readonly string[], days: number, seed = 1): Bar[] {
  const out: Bar[] = [];
  for (let d = 1; d <= days; d++) {
    for (const [i, symbol] of symbols.entries()) {
      const close = 100 + ((d * 7 + i * 13 + seed) % 50) + 0.25;
      out.push({ symbol, ts: new Date(END.getTime() + d * DAY).toISOString().replace('.000Z', 'Z'), open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1000 + d + i });
    }
  }
  return out;
}

export const asMessage = (b: Bar): Message => ({ key: b.symbol, value: JSON.stringify(b) });

/** Current lake rows (latest ingested_at per key) and how many stored copies each key has. */
export async function lake(dataDir: string, symbols: readonly string[], dataset = 'bars_1d'): Promise<{ current: Map<string, Bar>; copies: Map<string, number> }> {
  const rows = await query<Bar & { n: number } & SqlRow>(
    sql`SELECT symbol, ts, arg_max(open, ingested_at) AS open, arg_max(high, ingested_at) AS high, arg_max(low, ingested_at) AS low,
            arg_max(close, ingested_at) AS close, arg_max(volume, ingested_at) AS volume, count(*) AS n
     FROM read_parquet(${fileLiteral(`${dataDir}/lake/${dataset}/*/*.parquet`)}) WHERE symbol = ANY(${symbols}) GROUP BY symbol, ts`,
  ).catch(() => []);
  const current = new Map<string, Bar>();
  const copies = new Map<string, number>();
  for (const { n, ...bar } of rows) {
    current.set(`${bar.symbol}/${bar.ts}`, bar);
    copies.set(`${bar.symbol}/${bar.ts}`, n);
  }
  return { current, copies };
}

/** The latest produced value per (symbol, ts). */
export function expected(produced: readonly Bar[]): Map<string, Bar> {
  return new Map(produced.map((b) => [`${b.symbol}/${b.ts}`, b]));
}

export async function seed(dataDir: string): Promise<void> {
  const store: FeatureStore = await openStore(dataDir);
  try {
    await store.ingest.run(new SyntheticProvider({ symbols: 4, days: 120, seed: 3, endDate: END, gapRate: 0 }), { dataset: 'bars_1d', createAs: 'bars' });
    await applyCatalog(store.features, marketCatalog);
    for (const view of marketCatalog.views) await store.materializer.run({ view: view.name });
  } finally {
    await store.close();
  }
}

export const topicName = (what: string) => `test.${what}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}`;

export async function stop(worker: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (worker.child.exitCode === null) worker.child.kill(signal);
  return worker.exited;
}
