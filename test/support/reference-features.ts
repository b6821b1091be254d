/**
 * Plain-TypeScript implementations of the catalog's features, written from their descriptions
 * (not from the SQL), as the independent reference the materialised values are checked against.
 */
/** A daily bar as tests push it (a type, not an interface, so it passes as a plain row object). */
export type Bar = {
  readonly symbol: string;
  readonly ts: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
};

export type FeatureRow = Record<string, number | boolean | null>;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddevSample = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Exponential moving average seeded with the first value: e_0 = x_0, e_t = a x_t + (1 - a) e_{t-1}. */
function emaSeries(xs: number[], alpha: number): number[] {
  const out: number[] = [];
  xs.forEach((x, i) => out.push(i === 0 ? x : alpha * x + (1 - alpha) * out[i - 1]));
  return out;
}

/** Features per bar of one symbol's bars (sorted by ts), keyed by ts. */
export function referenceFeatures(bars: readonly Bar[]): Map<string, FeatureRow> {
  const close = bars.map((b) => b.close);
  const logRet = close.map((c, i) => (i === 0 ? null : Math.log(c / close[i - 1])));
  const gains = close.map((c, i) => (i === 0 ? 0 : Math.max(c - close[i - 1], 0)));
  const losses = close.map((c, i) => (i === 0 ? 0 : Math.max(close[i - 1] - c, 0)));
  const ema12 = emaSeries(close, 2 / 13);
  const ema26 = emaSeries(close, 2 / 27);
  const avgGain = emaSeries(gains, 1 / 14);
  const avgLoss = emaSeries(losses, 1 / 14);
  const macdLine = ema12.map((e, i) => e - ema26[i]);
  const signal = emaSeries(macdLine, 2 / 10);
  const up = bars.map((b) => (b.close - b.open) / b.open > 0.00001);
  const out = new Map<string, FeatureRow>();
  bars.forEach((b, i) => {
    const ret = (n: number) => (i >= n ? b.close / close[i - n] - 1 : null);
    // Labels (forward_returns): the close n bars later, when that bar exists.
    const fwd = (n: number) => (i + n < bars.length ? close[i + n] / b.close - 1 : null);
    const last20 = (xs: Array<number | null>) => (i >= 19 ? xs.slice(i - 19, i + 1) : null);
    const rets20 = last20(logRet);
    const hl20 = i >= 19 ? bars.slice(i - 19, i + 1).map((x) => Math.log(x.high / x.low)) : null;
    const vol20 = i >= 19 ? bars.slice(i - 19, i + 1).map((x) => x.volume) : null;
    const sma = (n: number) => (i >= n - 1 ? b.close / mean(close.slice(i - n + 1, i + 1)) - 1 : null);
    const row: FeatureRow = {
      ret_1d: ret(1),
      ret_5d: ret(5),
      ret_20d: ret(20),
      log_ret_1d: logRet[i],
      vol_20d: rets20 && rets20.every((r) => r !== null) ? stddevSample(rets20 as number[]) : null,
      parkinson_vol_20d: hl20 ? Math.sqrt(hl20.reduce((a, x) => a + x * x, 0) / (4 * Math.log(2) * 20)) : null,
      sma_ratio_20: sma(20),
      sma_ratio_50: sma(50),
      ema_ratio_12: i >= 1 ? b.close / ema12[i] - 1 : null,
      rsi_14: i >= 14 ? (avgLoss[i] === 0 ? 100 : 100 - 100 / (1 + avgGain[i] / avgLoss[i])) : null,
      macd: i >= 25 ? macdLine[i] : null,
      macd_signal: i >= 33 ? signal[i] : null,
      volume_z_20d: vol20 && stddevSample(vol20) > 0 ? (b.volume - mean(vol20)) / stddevSample(vol20) : null,
      delta_pct: (b.close - b.open) / b.open,
      going_up: up[i],
      fwd_ret_1d: fwd(1),
      fwd_ret_5d: fwd(5),
      fwd_ret_20d: fwd(20),
      fwd_up_1d: i + 1 < bars.length ? close[i + 1] > b.close : null,
    };
    for (let k = 1; k <= 14; k++) row[`prev_${k}d`] = i >= k ? up[i - k] : null;
    out.set(b.ts, row);
  });
  return out;
}
