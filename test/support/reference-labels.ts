/**
 * Forward labels computed by hand from bars, as the independent reference for label views and
 * the label join of training sets: no SQL, one loop per symbol.
 */

/** The label view the reference mirrors: 3-bar forward returns and "up next bar"; available_at is the bar that completes the window. */
export const FORWARD_LABEL_SQL = `SELECT symbol, ts, lead(close, 3) OVER w / close - 1 AS fwd_3, lead(close, 1) OVER w > close AS up_1,
  lead(ts, 3) OVER w AS available_at
FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)`;

/** `fwd` over the `bars` dataset, with FORWARD_LABEL_SQL. */
export const forwardLabelView = {
  name: 'fwd',
  entity: 'symbol',
  source: 'bars',
  ttl: '3d',
  kind: 'label' as const,
  sql: FORWARD_LABEL_SQL,
  features: [
    { name: 'fwd_3', type: 'DOUBLE' },
    { name: 'up_1', type: 'BOOLEAN' },
  ],
};

/** A bar with only what labels need (a type, so it passes as a plain row object). */
export type LabelBar = { readonly symbol: string; readonly ts: string; readonly close: number };

/** One decision bar's labels: returns over n bars, "up over n bars", and when all of them are known. */
export type LabelRow = { symbol: string; ts: string; available_at: string | null } & Record<string, number | boolean | null | string>;

/**
 * Deterministic bars: `symbols` x `days` daily closes from 2024-01-01 (UTC midnight), a seeded
 * random walk, with every 7th day of the 2nd symbol missing (a gap: the next bar is not the next day).
 */
export function labelBars(symbols: readonly string[], days: number, seed: number): LabelBar[] {
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: LabelBar[] = [];
  symbols.forEach((symbol, s) => {
    let close = 100 + 10 * s;
    for (let d = 0; d < days; d++) {
      close *= 1 + (random() - 0.5) / 20;
      if (s === 1 && d % 7 === 3) continue;
      out.push({ symbol, ts: new Date(Date.UTC(2024, 0, 1 + d)).toISOString(), close: Math.round(close * 100) / 100 });
    }
  });
  return out;
}

/**
 * Per bar (sorted by symbol, ts): `returns[name] = n` gives close n bars later / close - 1,
 * `ups[name] = n` gives close n bars later > close; null when the bar n later does not exist yet.
 * available_at is the ts of the bar that completes the longest of them (null until it exists).
 */
export function referenceForwardLabels(bars: readonly LabelBar[], returns: Record<string, number>, ups: Record<string, number> = {}): LabelRow[] {
  const bySymbol = new Map<string, LabelBar[]>();
  for (const b of bars) bySymbol.set(b.symbol, [...(bySymbol.get(b.symbol) ?? []), b]);
  const horizon = Math.max(...Object.values(returns), ...Object.values(ups));
  const out: LabelRow[] = [];
  for (const symbol of [...bySymbol.keys()].sort()) {
    const series = bySymbol.get(symbol)!.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    series.forEach((bar, i) => {
      const row: LabelRow = { symbol, ts: new Date(bar.ts).toISOString(), available_at: i + horizon < series.length ? new Date(series[i + horizon].ts).toISOString() : null };
      for (const [name, n] of Object.entries(returns)) row[name] = i + n < series.length ? series[i + n].close / bar.close - 1 : null;
      for (const [name, n] of Object.entries(ups)) row[name] = i + n < series.length ? series[i + n].close > bar.close : null;
      out.push(row);
    });
  }
  return out;
}
