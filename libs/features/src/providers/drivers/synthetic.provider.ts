import { InvalidArgumentError } from '../../errors/feature-store.error';
import { raw, sql, type Sql } from '../../sql/sql';
import { sha256 } from '../../util/hash';
import { addDays, startOfUtcDay, utcDay } from '../../util/time';
import type { MarketDataProvider, ProviderBatch } from '../market-data-provider';

export interface SyntheticOptions {
  readonly symbols: number;
  readonly days: number;
  readonly seed: number;
  /** The UTC day of the last bar's close; bars close at midnight UTC, 24/7 like crypto. */
  readonly endDate: Date;
  /** Keep only bars closing after this (top-ups of a series that already exists); applied by the ingestor. */
  readonly keepAfter?: Date;
  /** Fraction of bars dropped at random, to mimic feed gaps. */
  readonly gapRate?: number;
}

/** Symbol names of the synthetic universe: SYN0001, SYN0002, … */
export function syntheticSymbol(index: number): string {
  return `SYN${String(index).padStart(4, '0')}`;
}

/**
 * SQL for synthetic daily bars: geometric Brownian motion per symbol (drift, volatility and
 * start price drawn per symbol), open gaps, high/low wicks, log-normal volumes tied to the size
 * of the move, and occasional missing bars. Every random draw is a hash of (seed, symbol, day,
 * stream), so the data is the same for a seed whatever the thread count.
 */
export function syntheticBarsQuery(options: SyntheticOptions): Sql {
  const { symbols, days, seed } = validate(options);
  const gapRate = options.gapRate ?? 0.002;
  const end = startOfUtcDay(options.endDate);
  const firstClose = addDays(end, -(days - 1));
  // uniform(k) in (0, 1): 53 bits of a hash of the seed, the row and the stream k. The seed is
  // written as an integer literal (validate() checked it), not bound: hash() hashes the value
  // with its type, and a bound number is a DOUBLE, which would change every series.
  const u = (k: number, row = 'symbol_index, day') => `((hash(${seed}, ${row}, ${k}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0`;
  const normal = (k: number) => `(sqrt(-2 * ln(${u(k)})) * cos(2 * pi() * ${u(k + 1)}))`;
  return sql`
WITH params AS (
  SELECT i AS symbol_index, printf('SYN%04d', i) AS symbol,
         -0.10 + 0.35 * ${raw(u(1, 'i, -1'))} AS mu,
         0.15 + 0.75 * ${raw(u(2, 'i, -1'))} AS sigma,
         exp(ln(5) + (ln(500) - ln(5)) * ${raw(u(3, 'i, -1'))}) AS s0,
         ln(1e5) + (ln(1e8) - ln(1e5)) * ${raw(u(4, 'i, -1'))} AS log_volume
  FROM range(1, CAST(${symbols + 1} AS BIGINT)) t(i)
), draws AS (
  SELECT p.*, d.day,
         (mu - sigma * sigma / 2) / 365 + sigma * sqrt(1 / 365) * ${raw(normal(10))} AS log_return,
         0.002 * ${raw(normal(12))} AS open_gap,
         abs(${raw(normal(14))}) * sigma * sqrt(1 / 365) * 0.6 AS wick_up,
         abs(${raw(normal(16))}) * sigma * sqrt(1 / 365) * 0.6 AS wick_down,
         0.35 * ${raw(normal(18))} AS volume_noise,
         ${raw(u(20))} AS gap_draw
  FROM params p CROSS JOIN range(0, CAST(${days} AS BIGINT)) d(day)
), paths AS (
  SELECT *, s0 * exp(sum(log_return) OVER (PARTITION BY symbol_index ORDER BY day ROWS UNBOUNDED PRECEDING)) AS close
  FROM draws
), bars AS (
  SELECT symbol, symbol_index, day, gap_draw,
         CAST(${firstClose} AS TIMESTAMPTZ) + to_days(day::INTEGER) AS ts,
         coalesce(lag(close) OVER (PARTITION BY symbol_index ORDER BY day), s0) * exp(open_gap) AS open,
         close, wick_up, wick_down,
         round(exp(log_volume + volume_noise) * (1 + 20 * abs(log_return))) AS volume
  FROM paths
)
SELECT symbol, ts, open, greatest(open, close) * exp(wick_up) AS high, least(open, close) * exp(-wick_down) AS low,
       close, volume, close AS adj_close
FROM bars
WHERE gap_draw >= CAST(${gapRate} AS DOUBLE)
ORDER BY day, symbol`;
}

function validate(o: SyntheticOptions): { symbols: number; days: number; seed: number } {
  const int = (v: number, name: string, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new InvalidArgumentError(`${name} must be an integer in 1..${max}, got ${v}`, { field: name });
    return v;
  };
  if (!Number.isInteger(o.seed) || Math.abs(o.seed) > 2 ** 31) throw new InvalidArgumentError(`seed must be an integer, got ${o.seed}`, { field: 'seed' });
  if (o.gapRate !== undefined && !(o.gapRate >= 0 && o.gapRate < 1)) throw new InvalidArgumentError('gap rate must be in [0, 1)', { field: 'gapRate' });
  return { symbols: int(o.symbols, 'symbols', 100_000), days: int(o.days, 'days', 100_000), seed: o.seed };
}

/** Generates synthetic bars straight into the lake, as one batch (ts are close times already). */
export class SyntheticProvider implements MarketDataProvider {
  readonly name = 'synthetic';

  constructor(private readonly options: SyntheticOptions) {}

  async *batches(): AsyncIterable<ProviderBatch> {
    const o = this.options;
    const identity = sha256('synthetic', String(o.symbols), String(o.days), String(o.seed), utcDay(o.endDate), String(o.gapRate ?? ''));
    yield {
      source: {
        kind: 'query',
        sql: syntheticBarsQuery(o),
        identity,
        label: `synthetic(symbols=${o.symbols}, days=${o.days}, seed=${o.seed}, end=${utcDay(o.endDate)})`,
      },
      timing: { kind: 'close' },
      keepAfter: o.keepAfter,
    };
  }
}
