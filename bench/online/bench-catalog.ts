import { createHash } from 'node:crypto';
import type { Catalog, FeatureViewDefinition } from '@app/features';

/** The feature service every online request asks for: all 50 features of the 5 views. */
export const SERVICE = 'bench_50';
export const DATASET = 'bars_1d';
const TTL = '30d';

/** The bench's 5 views x 10 DOUBLE features, plain DuckDB SQL over `source`. */
export function benchViews(): FeatureViewDefinition[] {
  const w = 'WINDOW w AS (PARTITION BY symbol ORDER BY ts)';
  const ks = Array.from({ length: 10 }, (_, i) => i + 1);
  const view = (name: string, description: string, features: Array<[string, string]>): FeatureViewDefinition => ({
    name,
    entity: 'symbol',
    source: DATASET,
    timestampColumn: 'ts',
    ttl: TTL,
    lookback: '40d',
    stream: false,
    description,
    owner: 'bench',
    tags: { bench: 'online' },
    sql: `SELECT symbol, ts,\n  ${features.map(([n, e]) => `${e} AS ${n}`).join(',\n  ')}\nFROM source\n${w}`,
    features: features.map(([n]) => ({ name: n, type: 'DOUBLE' as const, description: '' })),
  });
  return [
    view('ob_returns', 'close / close k bars earlier - 1', ks.map((k) => [`ret_${k}`, `close / lag(close, ${k}) OVER w - 1`])),
    view('ob_sma', 'close / SMA of the last 2k bars - 1', ks.map((k) => [`sma_${2 * k}`, `close / avg(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN ${2 * k - 1} PRECEDING AND CURRENT ROW) - 1`])),
    view('ob_range', '(high - low) / close of the bar k-1 bars earlier', ks.map((k) => [`rng_${k - 1}`, k === 1 ? '(high - low) / close' : `(lag(high, ${k - 1}) OVER w - lag(low, ${k - 1}) OVER w) / lag(close, ${k - 1}) OVER w`])),
    view('ob_volume', 'ln(volume / volume k bars earlier)', ks.map((k) => [`lvol_${k}`, `ln(volume / lag(volume, ${k}) OVER w)`])),
    view('ob_gap', 'open / close k bars earlier - 1', ks.map((k) => [`gap_${k}`, `open / lag(close, ${k}) OVER w - 1`])),
  ];
}

export function benchCatalog(): Catalog {
  const views = benchViews();
  return {
    entities: [{ name: 'symbol', joinKeys: ['symbol'], description: 'A traded instrument, by ticker.' }],
    views,
    services: [{ name: SERVICE, features: views.flatMap((v) => v.features.map((f) => `${v.name}:${f.name}`)), description: '50 features over 5 views', owner: 'bench', tags: {} }],
  };
}

/** Identifies the catalog the cached data was materialised with: a changed view rebuilds it. */
export function catalogDigest(): string {
  return createHash('sha256').update(JSON.stringify(benchCatalog())).digest('hex').slice(0, 16);
}
