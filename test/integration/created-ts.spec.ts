import { FixedClock, symbolEntity, type FeatureStore } from '@app/features';
import { lakeRows, openStore, query, tempDataDir } from '../support/helpers';

// created_ts does not depend on how a version was materialised: a store materialised in steps
// (first bars, then new bars, corrections and late bars, revised) and one materialised from scratch
// over the same lake rows hold, per (symbol, event time), the same newest row, created_ts
// included. Reference: computed here in TypeScript from the lake's rows (values from each bar's
// current version; created_ts the greatest ingested_at of any version of the symbol's bars with
// ts in [event time - lookback, event time]).

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = Date.parse('2024-03-01T00:00:00Z');
const SYMBOLS = ['AAA', 'BBB', 'CCC'];
const LOOKBACK = 5 * DAY;

const bar = (symbol: string, day: number, close: number, knownAfterMs = HOUR) => ({
  symbol,
  ts: new Date(FIRST + day * DAY).toISOString(),
  open: close,
  high: close,
  low: close,
  close,
  volume: 1000 + day,
  ingested_at: new Date(FIRST + day * DAY + knownAfterMs).toISOString(),
});
const priceOf = (s: number, d: number) => 100 + 7 * s + d + 0.5 * Math.sin(d * (s + 1));
const days = (from: number, to: number, skip: (symbol: string, d: number) => boolean = () => false) =>
  SYMBOLS.flatMap((symbol, s) => Array.from({ length: to - from }, (_, i) => from + i).filter((d) => !skip(symbol, d)).map((d) => bar(symbol, d, priceOf(s, d))));

const features = [
  { name: 'px', type: 'DOUBLE' },
  { name: 'ret', type: 'DOUBLE' },
];
const sqlText = 'SELECT symbol, ts, close AS px, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM source';
// A view whose rows are half a day after their bars: no source row at its event times.
const shifted = "SELECT symbol, ts + INTERVAL 12 HOUR AS ts, close AS px, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM source";
const SHIFT = 12 * HOUR;
const views = [
  { name: 'ct_lb', entity: 'symbol', source: 'bars_1d', ttl: '3d', lookback: '5d', sql: sqlText, features },
  { name: 'ct_all', entity: 'symbol', source: 'bars_1d', ttl: '3d', sql: sqlText, features },
  { name: 'ct_shift', entity: 'symbol', source: 'bars_1d', ttl: '3d', lookback: '5d', sql: shifted, features },
];
const shiftOf = (name: string) => (name === 'ct_shift' ? SHIFT : 0);

// Batches in the order the incremental store sees them; the scratch store gets them all at once.
const batches = [
  days(0, 20, (symbol, d) => symbol === 'BBB' && d === 12),
  [
    ...days(20, 30),
    bar('BBB', 12, 131.25, 9 * DAY), // a late bar inside the materialised range
    bar('AAA', 15, 150.5, 16 * DAY), // a correction
    bar('CCC', 3, priceOf(2, 3), 20 * DAY), // a correction with the same values (only created_ts moves)
  ],
  [...days(30, 35), bar('AAA', 15, 151.75, 33 * DAY), bar('AAA', -2, 99, 34 * DAY), bar('CCC', 28, 160, 34 * DAY)],
];

interface StoredRow extends Record<string, unknown> {
  symbol: string;
  event_ts: string;
  created_ts: string;
  px: number | null;
  ret: number | null;
}

async function newestRows(dir: string, view: string): Promise<StoredRow[]> {
  return query<StoredRow>(`SELECT symbol, strftime(event_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS event_ts,
      strftime(created_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS created_ts, px, ret
    FROM read_parquet('${dir}/offline/${view}/v1/**/*.parquet', filename = true)
    QUALIFY row_number() OVER (PARTITION BY symbol, event_ts ORDER BY created_ts DESC, filename DESC) = 1
    ORDER BY symbol, event_ts`);
}

function reference(lake: Array<Record<string, unknown>>, lookback: number | null, shift = 0): StoredRow[] {
  const out: StoredRow[] = [];
  for (const symbol of SYMBOLS) {
    const versions = lake.filter((r) => r.symbol === symbol).map((r) => ({ ts: Date.parse(String(r.ts)), close: Number(r.close), ing: Date.parse(String(r.ingested_at)) }));
    const current = new Map<number, { ts: number; close: number; ing: number }>();
    for (const v of versions) if (!current.has(v.ts) || current.get(v.ts)!.ing < v.ing) current.set(v.ts, v);
    const series = [...current.values()].sort((a, b) => a.ts - b.ts);
    series.forEach((b, i) => {
      const e = b.ts + shift;
      const known = versions.filter((v) => v.ts <= e && (lookback === null || v.ts >= e - lookback)).reduce((m, v) => Math.max(m, v.ing), -Infinity);
      out.push({ symbol, event_ts: new Date(e).toISOString(), created_ts: new Date(known).toISOString(), px: b.close, ret: i > 0 ? b.close / series[i - 1].close - 1 : null });
    });
  }
  // Materialisation covers event times up to the newest bar: a shifted view's last rows are past it.
  const end = Math.max(...lake.map((r) => Date.parse(String(r.ts))));
  return out.filter((r) => Date.parse(r.event_ts) <= end);
}

describe('created_ts: the same from scratch, incrementally, in revisions and online', () => {
  const incremental = tempDataDir();
  const scratch = tempDataDir();
  let a: FeatureStore;
  let b: FeatureStore;

  beforeAll(async () => {
    a = await openStore(incremental.dir, new FixedClock(new Date('2024-06-01T00:00:00Z')));
    b = await openStore(scratch.dir, new FixedClock(new Date('2024-06-02T00:00:00Z')));
    const apply = async (store: FeatureStore) => {
      await store.features.applyEntity(symbolEntity);
      for (const view of views) await store.features.apply(view);
    };
    let revised = 0;
    for (const [i, batch] of batches.entries()) {
      await a.datasets.ingestRows('bars_1d', batch);
      if (i === 0) await apply(a);
      for (const view of views) revised += (await a.materializer.run({ view: view.name })).revisedRows;
    }
    expect(revised).toBeGreaterThan(0); // the revision path really ran
    for (const batch of batches) await b.datasets.ingestRows('bars_1d', batch);
    await apply(b);
    for (const view of views) await b.materializer.run({ view: view.name });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    incremental.cleanup();
    scratch.cleanup();
  });

  it.each(views.map((v) => [v.name, v.lookback ? LOOKBACK : null] as const))('%s: both stores hold the reference rows, created_ts included', async (name, lookback) => {
    const lake = await lakeRows(incremental.dir, 'bars_1d');
    expect(await lakeRows(scratch.dir, 'bars_1d')).toHaveLength(lake.length);
    const expected = reference(lake, lookback, shiftOf(name));
    const close = (rows: StoredRow[]) => rows.map((r) => ({ ...r, ret: r.ret === null ? null : expect.closeTo(Number(r.ret), 12) }));
    const fromScratch = await newestRows(scratch.dir, name);
    const stepwise = await newestRows(incremental.dir, name);
    expect(fromScratch).toEqual(close(expected));
    expect(stepwise).toEqual(close(expected));
    // created_ts really moved for rows whose own bar is older than the newest bar in their lookback.
    expect(expected.filter((r) => r.created_ts !== new Date(Date.parse(r.event_ts) - shiftOf(name) + HOUR).toISOString()).length).toBeGreaterThan(5);
  });

  it('gives the reference created_ts where every key has one ingested_at (a backfill)', async () => {
    const one = tempDataDir();
    const c = await openStore(one.dir, new FixedClock(new Date('2024-06-03T00:00:00Z')));
    try {
      // One batch, no ingested_at of its own: every bar of a key shares the batch's time.
      await c.datasets.ingestRows('bars_1d', days(0, 25, (symbol, d) => symbol === 'CCC' && d % 4 === 0).map(({ ingested_at: _i, ...bar }) => bar));
      await c.features.applyEntity(symbolEntity);
      for (const view of views) await c.features.apply(view);
      const lake = await lakeRows(one.dir, 'bars_1d');
      for (const view of views) {
        await c.materializer.run({ view: view.name });
        const expected = reference(lake, view.lookback ? LOOKBACK : null, shiftOf(view.name));
        expect(await newestRows(one.dir, view.name)).toEqual(expected.map((r) => ({ ...r, ret: r.ret === null ? null : expect.closeTo(Number(r.ret), 12) })));
      }
    } finally {
      await c.close();
      one.cleanup();
    }
  });

  it('puts the same created_ts online as offline', async () => {
    for (const store of [a, b]) {
      for (const view of views) {
        const rows = await newestRows(store === a ? incremental.dir : scratch.dir, view.name);
        const read = await store.online.read([{ view: view.name, version: 1 }], SYMBOLS.map((s) => [s]));
        read[0].forEach((row, i) => {
          const last = rows.filter((r) => r.symbol === SYMBOLS[i]).pop()!;
          expect({ symbol: SYMBOLS[i], eventTs: Date.parse(row!.eventTs), createdTs: Date.parse(String(row!.createdTs)) }).toEqual({ symbol: SYMBOLS[i], eventTs: Date.parse(last.event_ts), createdTs: Date.parse(last.created_ts) });
        });
      }
    }
  });
});
