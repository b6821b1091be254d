import type { FeatureStore } from '@app/features';

/**
 * A day-partitioned dataset `ticks` of hourly bars of three symbols over four days, written as
 * 24 small batches plus two of late bars and corrections: a lake worth compacting
 * (test/integration/lake-compaction.spec.ts, test/lake-compaction-crash.e2e-spec.ts).
 */
export const HOUR = 3_600_000;
export const FIRST = Date.parse('2024-03-04T00:00:00Z');
export const SYMBOLS = ['AAA', 'BBB', 'CCC'];
export const HOURS = 4 * 24;

function bar(symbol: string, hour: number, close: number, ingestedAt: number): Record<string, unknown> {
  return { symbol, ts: new Date(FIRST + hour * HOUR).toISOString(), open: close, high: close + 1, low: close - 1, close, volume: 10 + hour, ingested_at: new Date(ingestedAt).toISOString() };
}

export const view = {
  name: 'hourly_px',
  entity: 'symbol',
  source: 'ticks',
  ttl: '6h',
  lookback: '12h',
  sql: 'SELECT symbol, ts, close AS px, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM source',
  features: [
    { name: 'px', type: 'DOUBLE' },
    { name: 'ret', type: 'DOUBLE' },
  ],
};

/** Writes the history into a fresh store. */
export async function writeHistory(store: FeatureStore): Promise<void> {
  await store.datasets.declare('ticks', {
    partition: 'day',
    columns: ['symbol:VARCHAR', 'ts:TIMESTAMPTZ', 'open:DOUBLE', 'high:DOUBLE', 'low:DOUBLE', 'close:DOUBLE', 'volume:DOUBLE'].map((c) => ({ name: c.split(':')[0], type: c.split(':')[1] })),
  });
  // A batch every 4 hours, each bar known 5 minutes after its close.
  for (let h = 0; h < HOURS; h += 4) {
    const rows = SYMBOLS.flatMap((s, i) => [0, 1, 2, 3].map((o) => bar(s, h + o, 100 + 10 * i + h + o, FIRST + (h + 4) * HOUR + 5 * 60_000)));
    await store.datasets.ingestRows('ticks', rows);
  }
  // Corrections of bars inside earlier days, known a day later, and a late bar.
  await store.datasets.ingestRows('ticks', [bar('AAA', 10, 555.5, FIRST + 36 * HOUR), bar('BBB', 30, 444.25, FIRST + 60 * HOUR)]);
  await store.datasets.ingestRows('ticks', [bar('AAA', 10, 556.5, FIRST + 80 * HOUR), bar('CCC', 50, 333.75, FIRST + 90 * HOUR)]);
}

