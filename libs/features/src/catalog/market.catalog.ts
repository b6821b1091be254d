import { defineEntity, defineFeatureService, defineFeatureView, type EntityDefinition, type FeatureServiceDefinition, type FeatureViewDefinition } from '../definitions/feature-definition';

/**
 * The built-in market catalog over `bars_1d`. Every feature window ends at the current bar (a bar
 * is known at its close, `ts`), so no feature looks ahead; only the label view `forward_returns`
 * does, and says when its labels became known. "n days" means n bars: with gaps in a series, the
 * previous bar is not always the previous calendar day.
 */
export const symbolEntity = defineEntity({ name: 'symbol', joinKeys: ['symbol'], description: 'A traded instrument, by ticker.' });

const OWNER = 'feature-store';
const TAGS = { catalog: 'market', source: 'bars_1d' };

/**
 * SQL pieces for an exponential moving average e_t = a x_t + (1 - a) e_{t-1}, e_0 = x_0, per
 * symbol, in O(1) per row (window sums, no recursion and no per-row lists).
 *
 * The recursion is a weighted sum S_t = sum_i q^(t-i) x_i (q = 1 - a) over the last k*B rows,
 * where the weights left outside, q^(kB), are below 1e-10. Rows are cut into blocks of B rows
 * (B small enough that q^-B stays below 1e4, so no precision is lost): y_i = q^-(i mod B) x_i,
 * and S_t = q^off * (prefix of the current block) + sum over the k-1 previous blocks of
 * q^(off + mB) * (their totals) + q^(off + kB) * (the suffix of block b-k), all of which are
 * window sums and lags. Near the start of a series, e_t = a S_t + q^(t+1) x_0 exactly.
 *
 * `stage(name, x)` adds the columns of one EMA to a CTE chain over a relation with `symbol`, `n`
 * (0-based bar number) and the input x; the value ends up in column `name`.
 */
function emaStages(name: string, x: string, alpha: number, from: string): string[] {
  const { B, k } = emaWindow(alpha);
  const q = `${1 - alpha}`;
  const y = `_${name}_y`;
  const c = `_${name}_c`;
  const tot = `_${name}_tot`;
  const w = `(PARTITION BY symbol ORDER BY n)`;
  const fullBlocks = Array.from({ length: k - 1 }, (_, i) => i + 1)
    .map((m) => `pow(${q}, n % ${B} + ${m * B}) * coalesce(lag(${tot}, ${m * B}) OVER ${w}, 0)`)
    .join(' + ');
  return [
    `${name}_1 AS (SELECT *, pow(${q}, -(n % ${B})) * (${x}) AS ${y} FROM ${from})`,
    `${name}_2 AS (SELECT *, sum(${y}) OVER (PARTITION BY symbol, n // ${B} ORDER BY n ROWS UNBOUNDED PRECEDING) AS ${c},
      sum(${y}) OVER (PARTITION BY symbol, n // ${B}) AS ${tot} FROM ${name}_1)`,
    `${name}_3 AS (SELECT * EXCLUDE (${y}, ${c}, ${tot}), ${alpha} * (pow(${q}, n % ${B}) * ${c} + ${fullBlocks}
      + pow(${q}, n % ${B} + ${k * B}) * coalesce(lag(${tot}, ${k * B}) OVER ${w} - lag(${c}, ${k * B}) OVER ${w}, 0))
      + CASE WHEN n < ${k * B} THEN pow(${q}, n + 1) * first_value(${x}) OVER ${w} ELSE 0 END AS ${name} FROM ${name}_2)`,
  ];
}

/** Block size B (q^-B <= 1e4) and block count k (q^kB <= 1e-10) of an EMA with this alpha. */
function emaWindow(alpha: number): { B: number; k: number } {
  const lnq = -Math.log(1 - alpha);
  const B = Math.floor(Math.log(1e4) / lnq);
  return { B, k: Math.ceil(Math.log(1e10) / (lnq * B)) };
}

/** Rows an EMA with this alpha looks back (k * B). */
function emaRows(alpha: number): number {
  const { B, k } = emaWindow(alpha);
  return k * B;
}

export const returnsView = defineFeatureView({
  name: 'returns',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  stream: true,
  lookback: '40d',
  description: 'Simple returns of the close over 1, 5 and 20 bars, and the 1-bar log return.',
  owner: OWNER,
  tags: TAGS,
  sql: `SELECT symbol, ts,
  close / lag(close, 1) OVER w - 1 AS ret_1d,
  close / lag(close, 5) OVER w - 1 AS ret_5d,
  close / lag(close, 20) OVER w - 1 AS ret_20d,
  ln(close / lag(close, 1) OVER w) AS log_ret_1d
FROM source
WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
  features: [
    { name: 'ret_1d', type: 'DOUBLE', description: 'close / previous close - 1' },
    { name: 'ret_5d', type: 'DOUBLE', description: 'close / close 5 bars earlier - 1' },
    { name: 'ret_20d', type: 'DOUBLE', description: 'close / close 20 bars earlier - 1' },
    { name: 'log_ret_1d', type: 'DOUBLE', description: 'ln(close / previous close)' },
  ],
});

export const volatilityView = defineFeatureView({
  name: 'volatility',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  stream: true,
  lookback: '60d',
  description: 'Realised volatility (sample stddev of 20 daily log returns) and Parkinson high-low volatility over 20 bars; per bar, not annualised. Null until 20 returns exist.',
  owner: OWNER,
  tags: TAGS,
  sql: `WITH r AS (
  SELECT symbol, ts, ln(close / lag(close) OVER (PARTITION BY symbol ORDER BY ts)) AS log_ret, ln(high / low) AS hl
  FROM source
)
SELECT symbol, ts,
  CASE WHEN count(log_ret) OVER w = 20 THEN stddev_samp(log_ret) OVER w END AS vol_20d,
  CASE WHEN count(hl) OVER w = 20 THEN sqrt(sum(hl * hl) OVER w / (4 * ln(2) * 20)) END AS parkinson_vol_20d
FROM r
WINDOW w AS (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)`,
  features: [
    { name: 'vol_20d', type: 'DOUBLE', description: 'stddev_samp of the last 20 one-bar log returns' },
    { name: 'parkinson_vol_20d', type: 'DOUBLE', description: 'sqrt(sum(ln(high/low)^2) / (4 ln 2 * 20)) over the last 20 bars' },
  ],
});

export const trendView = defineFeatureView({
  name: 'trend',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  stream: true,
  // The longest chain: the MACD signal's rows over MACD values over EMA(26)'s rows, plus gaps.
  lookback: `${Math.ceil((emaRows(2 / 10) + emaRows(2 / 27)) * 1.1)}d`,
  description: 'Moving-average ratios, RSI(14) with Wilder smoothing, and MACD(12, 26, 9) on the close.',
  owner: OWNER,
  tags: TAGS,
  sql: `WITH base AS (
  SELECT symbol, ts, close,
    CASE WHEN count(*) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) = 20
      THEN close / avg(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) - 1 END AS sma_ratio_20,
    CASE WHEN count(*) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 49 PRECEDING AND CURRENT ROW) = 50
      THEN close / avg(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 49 PRECEDING AND CURRENT ROW) - 1 END AS sma_ratio_50,
    coalesce(greatest(close - lag(close) OVER (PARTITION BY symbol ORDER BY ts), 0), 0) AS gain,
    coalesce(greatest(lag(close) OVER (PARTITION BY symbol ORDER BY ts) - close, 0), 0) AS loss,
    row_number() OVER (PARTITION BY symbol ORDER BY ts) - 1 AS n
  FROM source
),
${[
  ...emaStages('ema_12', 'close', 2 / 13, 'base'),
  ...emaStages('ema_26', 'close', 2 / 27, 'ema_12_3'),
  ...emaStages('avg_gain', 'gain', 1 / 14, 'ema_26_3'),
  ...emaStages('avg_loss', 'loss', 1 / 14, 'avg_gain_3'),
  'macd AS (SELECT *, ema_12 - ema_26 AS macd_line FROM avg_loss_3)',
  ...emaStages('signal', 'macd_line', 2 / 10, 'macd'),
].join(',\n')}
SELECT symbol, ts, sma_ratio_20, sma_ratio_50,
  CASE WHEN n >= 1 THEN close / ema_12 - 1 END AS ema_ratio_12,
  CASE WHEN n >= 14 THEN CASE WHEN avg_loss = 0 THEN 100 ELSE 100 - 100 / (1 + avg_gain / avg_loss) END END AS rsi_14,
  CASE WHEN n >= 25 THEN macd_line END AS macd,
  CASE WHEN n >= 33 THEN signal END AS macd_signal
FROM signal_3`,
  features: [
    { name: 'sma_ratio_20', type: 'DOUBLE', description: 'close / 20-bar simple moving average - 1' },
    { name: 'sma_ratio_50', type: 'DOUBLE', description: 'close / 50-bar simple moving average - 1' },
    { name: 'ema_ratio_12', type: 'DOUBLE', description: 'close / 12-bar exponential moving average (alpha 2/13) - 1' },
    { name: 'rsi_14', type: 'DOUBLE', description: "RSI over 14 bars with Wilder's smoothing (alpha 1/14), 0..100" },
    { name: 'macd', type: 'DOUBLE', description: 'EMA(12) - EMA(26) of the close' },
    { name: 'macd_signal', type: 'DOUBLE', description: 'EMA(9) of the MACD line' },
  ],
});

export const volumeView = defineFeatureView({
  name: 'volume_stats',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  stream: true,
  lookback: '40d',
  description: 'Volume z-score against the last 20 bars (current bar included).',
  owner: OWNER,
  tags: TAGS,
  sql: `SELECT symbol, ts,
  CASE WHEN count(volume) OVER w = 20 AND stddev_samp(volume) OVER w > 0
    THEN (volume - avg(volume) OVER w) / stddev_samp(volume) OVER w END AS volume_z_20d
FROM source
WINDOW w AS (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)`,
  features: [{ name: 'volume_z_20d', type: 'DOUBLE', description: '(volume - mean of 20 bars) / sample stddev of 20 bars' }],
});

const prevColumns = Array.from({ length: 14 }, (_, i) => i + 1);

export const upDownView = defineFeatureView({
  name: 'updown',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  stream: true,
  lookback: '30d',
  description: 'The classic up/down history: delta_pct = (close - open) / open, going_up = delta_pct > 0.00001, and the going_up flags of the 14 previous bars.',
  owner: OWNER,
  tags: TAGS,
  sql: `WITH d AS (SELECT symbol, ts, (close - open) / open AS delta_pct FROM source)
SELECT symbol, ts, delta_pct, delta_pct > 0.00001 AS going_up,
  ${prevColumns.map((k) => `lag(delta_pct > 0.00001, ${k}) OVER w AS prev_${k}d`).join(',\n  ')}
FROM d
WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
  features: [
    { name: 'delta_pct', type: 'DOUBLE', description: '(close - open) / open of the bar' },
    { name: 'going_up', type: 'BOOLEAN', description: 'delta_pct > 0.00001' },
    ...prevColumns.map((k) => ({ name: `prev_${k}d`, type: 'BOOLEAN' as const, description: `going_up of the bar ${k} bar(s) earlier` })),
  ],
});

/**
 * Forward returns as training labels. One available_at per view: the bar that completes the
 * longest label (20 bars later). So a row's 1-day and 5-day labels too count as known only once
 * its 20-day label is (a training set with a cutoff drops the last 20 bars' labels, not 1 or 5):
 * one `forward_returns__available_at` column, one purging window per row. A model trained on the
 * 1-day label alone may define its own label view with a 1-bar horizon.
 */
export const forwardReturnsView = defineFeatureView({
  name: 'forward_returns',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  kind: 'label',
  description: 'Labels: the return of the close over the next 1, 5 and 20 bars, and whether the next close is higher; available_at is the close of the bar 20 bars later.',
  owner: OWNER,
  tags: { ...TAGS, kind: 'label' },
  sql: `SELECT symbol, ts,
  lead(close, 1) OVER w / close - 1 AS fwd_ret_1d,
  lead(close, 5) OVER w / close - 1 AS fwd_ret_5d,
  lead(close, 20) OVER w / close - 1 AS fwd_ret_20d,
  lead(close, 1) OVER w > close AS fwd_up_1d,
  lead(ts, 20) OVER w AS available_at
FROM source
WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
  features: [
    { name: 'fwd_ret_1d', type: 'DOUBLE', description: 'close 1 bar later / close - 1' },
    { name: 'fwd_ret_5d', type: 'DOUBLE', description: 'close 5 bars later / close - 1' },
    { name: 'fwd_ret_20d', type: 'DOUBLE', description: 'close 20 bars later / close - 1' },
    { name: 'fwd_up_1d', type: 'BOOLEAN', description: 'the next close is above this close' },
  ],
});

export const marketSignalsService = defineFeatureService({
  name: 'market_signals',
  description: 'A typical model input: returns, volatility, trend, volume and up/down history.',
  owner: OWNER,
  features: [
    'returns:ret_1d', 'returns:ret_5d', 'returns:ret_20d', 'volatility:vol_20d', 'volatility:parkinson_vol_20d',
    'trend:sma_ratio_20', 'trend:rsi_14', 'trend:macd', 'trend:macd_signal', 'volume_stats:volume_z_20d', 'updown:going_up',
  ],
});

export const marketCatalog: { entities: EntityDefinition[]; views: FeatureViewDefinition[]; services: FeatureServiceDefinition[] } = {
  entities: [symbolEntity],
  views: [returnsView, volatilityView, trendView, volumeView, upDownView, forwardReturnsView],
  services: [marketSignalsService],
};
