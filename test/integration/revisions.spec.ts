import { FixedClock, symbolEntity, type FeatureStore } from '@app/features';
import { lakeRows, openStore, query, tempDataDir } from '../support/helpers';

// Late and corrected bars after a view was materialised: the next run revises the range, event
// mode answers with the corrected values, knowledge mode with what was known at each row's time.
// Reference: the view recomputed in plain TypeScript from the lake rows known at time t.

const DAY = 86_400_000;
const MINUTE = 60_000;
const FIRST = Date.parse('2024-03-01T00:00:00Z');
const DAYS = 40;
const SYMBOLS = ['AAA', 'BBB', 'CCC'];
const TTL_MS = 3 * DAY;
const CORRECTED_AFTER = 5 * DAY; // a correction becomes known five days after the bar's close

interface LakeBar {
  symbol: string;
  ts: number;
  close: number;
  ingestedAt: number;
}

function bar(symbol: string, day: number, close: number, knownAfterMs = MINUTE): Record<string, unknown> {
  const ts = FIRST + day * DAY;
  return {
    symbol,
    ts: new Date(ts).toISOString(),
    open: close,
    high: close * 1.01,
    low: close * 0.99,
    close,
    volume: 1000.5 + day,
    ingested_at: new Date(ts + knownAfterMs).toISOString(),
  };
}

const priceOf = (s: number, day: number) => 100 + 10 * s + day + 0.25;

const view = {
  name: 'rev_px',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '3d',
  lookback: '5d',
  sql: 'SELECT symbol, ts, close AS px, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM source',
  features: [
    { name: 'px', type: 'DOUBLE' },
    { name: 'ret', type: 'DOUBLE' },
  ],
};

/** The view over the bars known at `t` (all bars when t is null): latest row with t - ttl <= ts <= t. */
function reference(bars: readonly LakeBar[], symbol: string, t: number, knownAt: number | null): { px: number | null; ret: number | null } {
  const current = new Map<number, LakeBar>();
  for (const b of bars) {
    if (b.symbol !== symbol || (knownAt !== null && b.ingestedAt > knownAt)) continue;
    const prior = current.get(b.ts);
    if (!prior || prior.ingestedAt < b.ingestedAt) current.set(b.ts, b);
  }
  const series = [...current.values()].sort((a, b) => a.ts - b.ts);
  let i = series.length - 1;
  while (i >= 0 && series[i].ts > t) i--;
  if (i < 0 || series[i].ts < t - TTL_MS) return { px: null, ret: null };
  return { px: series[i].close, ret: i > 0 ? series[i].close / series[i - 1].close - 1 : null };
}

describe('revisions: late and corrected bars after materialisation', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  const clock = new FixedClock(new Date('2024-05-01T00:00:00Z'));

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    // BBB's bar of day 20 is missing at first: it arrives late.
    const initial = SYMBOLS.flatMap((symbol, s) => Array.from({ length: DAYS }, (_, d) => d).filter((d) => !(symbol === 'BBB' && d === 20)).map((d) => bar(symbol, d, priceOf(s, d))));
    await store.datasets.ingestRows('bars_1d', initial);
    await store.features.applyEntity(symbolEntity);
    await store.features.apply(view);
    const first = await store.materializer.run({ view: 'rev_px' });
    expect(first).toMatchObject({ rows: initial.length, revisedRows: 0 });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('writes only the late and changed rows, keeps the old ones, and a second run writes nothing', async () => {
    clock.set(new Date('2024-05-02T00:00:00Z'));
    const corrections = [
      bar('AAA', 10, 150.75, CORRECTED_AFTER), // a corrected close: px of day 10 and ret of days 10 and 11 change
      bar('BBB', 20, 133.5, CORRECTED_AFTER), // the late bar: a new row, and ret of day 21 changes
      bar('CCC', 5, priceOf(2, 5)), // the same values again (a re-sent bar): nothing changes
      bar('AAA', -1, 99.25), // history before the range (known as early as the others): ret of day 0 changes
    ];
    const pushed = await store.datasets.ingestRows('bars_1d', corrections);
    expect(pushed.accepted).toBe(4);

    const revised = await store.materializer.run({ view: 'rev_px' });
    // AAA days 0, 10 and 11, BBB days 20 (new) and 21 change values; and since created_ts is the
    // newest ingested_at within the 5-day lookback, AAA days 12-14 and BBB days 22-24 get the
    // correction's created_ts with the same values (day 15 and 25 were ingested after it).
    expect(revised.revisedRows).toBe(11);
    expect(revised.rows).toBe(12); // and AAA's day -1, a new part before the range
    expect(revised.state).toMatchObject({ revisedRows: 11 });
    const offline = await query<{ symbol: string; event_ts: string; px: number; created_ts: string }>(
      `SELECT symbol, CAST(event_ts AS VARCHAR) AS event_ts, px, CAST(created_ts AS VARCHAR) AS created_ts FROM read_parquet('${tmp.dir}/offline/rev_px/v1/*.parquet')`,
    );
    // Old rows stay beside the new ones: 3 x 40 - 1 first, then 12 more.
    expect(offline).toHaveLength(SYMBOLS.length * DAYS - 1 + 12);
    const aaa10 = offline.filter((r) => r.symbol === 'AAA' && Date.parse(r.event_ts) === FIRST + 10 * DAY).sort((a, b) => Date.parse(a.created_ts) - Date.parse(b.created_ts));
    expect(aaa10.map((r) => r.px)).toEqual([priceOf(0, 10), 150.75]);
    expect(Date.parse(aaa10[1].created_ts)).toBe(FIRST + 10 * DAY + CORRECTED_AFTER);

    const again = await store.materializer.run({ view: 'rev_px' });
    expect(again).toMatchObject({ alreadyDone: true, rows: 0, revisedRows: 0 });
  });

  it('answers event mode with the corrected values and knowledge mode with what was known at each time', async () => {
    const bars = (await lakeRows(tmp.dir, 'bars_1d')).map((r) => ({
      symbol: String(r.symbol),
      ts: Date.parse(String(r.ts)),
      close: Number(r.close),
      ingestedAt: Date.parse(String(r.ingested_at)),
    }));
    // Every day of every symbol, at the close, a minute later, and two, four and six days later
    // (inside and past the TTL, before and after the corrections became known), plus an unknown key.
    const entities = SYMBOLS.flatMap((symbol) =>
      Array.from({ length: DAYS + 1 }, (_, d) => [0, MINUTE, 2 * DAY, 4 * DAY + MINUTE, 6 * DAY].map((o) => ({ symbol, ts: new Date(FIRST + (d - 1) * DAY + o).toISOString() }))).flat(),
    );
    entities.push({ symbol: 'ZZZ', ts: new Date(FIRST + 5 * DAY).toISOString() });
    let differences = 0;
    for (const mode of ['event', 'knowledge'] as const) {
      const set = await store.trainingSets.create({ features: { features: ['rev_px:px', 'rev_px:ret'] }, entities: { kind: 'rows', rows: entities }, pointInTime: mode, timestampColumn: 'ts', runId: null });
      const rows = await store.trainingSetReader.rows(set);
      expect(rows).toHaveLength(entities.length);
      rows.forEach((row, i) => {
        const e = entities[i];
        const t = Date.parse(e.ts);
        const expected = reference(bars, e.symbol, t, mode === 'knowledge' ? t : null);
        expect({ i, mode, symbol: row.symbol, px: row.rev_px__px, ret: row.rev_px__ret === null ? null : Number(row.rev_px__ret) }).toEqual({
          i,
          mode,
          symbol: e.symbol,
          px: expected.px,
          ret: expected.ret === null ? null : expect.closeTo(expected.ret, 12),
        });
        if (mode === 'knowledge' && expected.px !== reference(bars, e.symbol, t, null).px) differences++;
      });
    }
    // The two modes must really differ somewhere: rows between a bar and its correction.
    expect(differences).toBeGreaterThan(0);
  });

  it('puts the corrected newest row online when a correction reaches it', async () => {
    clock.set(new Date('2024-05-03T00:00:00Z'));
    const last = DAYS - 1;
    await store.datasets.ingestRows('bars_1d', [bar('CCC', last, 999.5, CORRECTED_AFTER)]);
    const result = await store.materializer.run({ view: 'rev_px' });
    expect(result.revisedRows).toBe(1);
    const [[row]] = await store.online.read([{ view: 'rev_px', version: 1 }], [['CCC']]);
    expect(row?.values.px).toBe(999.5);
    expect(Date.parse(row!.eventTs)).toBe(FIRST + last * DAY);
  });
});
