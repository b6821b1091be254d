import { FileProvider, FixedClock, fileLiteral, parseBarTiming, sql, type FeatureStore } from '@app/features';
import { exchangeCalendarSessions } from '../../support/exchange-calendars';
import { openStore, query, tempDataDir, writeText } from '../../support/helpers';

const COLUMNS = ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume'].map((name) => ({ name, type: name === 'symbol' ? 'VARCHAR' : name === 'ts' ? 'TIMESTAMPTZ' : 'DOUBLE' }));

// A view with "ttl": "1 session" over XNYS daily bars of November 2021 (Thanksgiving, its early
// close) to Friday 2021-12-03, registered, materialised, then read as a training set and online at
// instants around weekends, the holiday and the closes; the reference: exchange_calendars' closes.
describe('a view with a TTL in sessions, registered, materialised, in training sets and online (real DuckDB, Parquet, LMDB)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  const clock = new FixedClock(new Date('2021-12-05T12:00:00Z'));
  const closes = new Map<string, number>();
  let sortedCloses: number[];
  const bars: Array<{ day: string; close: number; value: number }> = [];

  // The close of the n-th session whose close is after `ms` (brute force over the reference).
  const expiry = (ms: number, n: number) => sortedCloses.filter((c) => c > ms)[n - 1];

  beforeAll(async () => {
    for (const [date, , close] of exchangeCalendarSessions('2021-10-01', '2022-01-31').calendars.XNYS) closes.set(date, Date.parse(close));
    sortedCloses = [...closes.values()].sort((a, b) => a - b);
    tmp = tempDataDir();
    store = await openStore(tmp.dir, clock);
    await store.datasets.declare('eq_1d', { columns: COLUMNS, calendar: 'XNYS' });
    await store.datasets.declare('plain_1d', { columns: COLUMNS });
    const lines = ['Date,High,Low,Open,Close,Volume'];
    let value = 100;
    for (const [day, close] of closes) {
      if (day < '2021-11-01' || day > '2021-12-03' || day === '2021-11-17') continue; // one missing session
      value += 1;
      bars.push({ day, close, value });
      lines.push(`${day},${value},${value},${value},${value},1`);
    }
    const csv = writeText(tmp.dir, 'aaa.csv', `${lines.join('\n')}\n`);
    const summary = await store.ingest.run(new FileProvider({ path: csv, timing: parseBarTiming({ calendar: 'XNYS' }), symbol: 'AAA' }), { dataset: 'eq_1d', createAs: 'none' });
    expect(summary.accepted).toBe(bars.length);
    await store.features.applyEntity({ name: 'symbol', joinKeys: ['symbol'] });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  const view = (ttl: string, source = 'eq_1d', extra: Record<string, unknown> = {}) => ({
    name: 'last_close',
    entity: 'symbol',
    source,
    sql: 'SELECT symbol, ts, close AS c FROM source',
    features: [{ name: 'c', type: 'DOUBLE' }],
    ttl,
    ...extra,
  });

  it('registers the TTL with the calendar of its source, and refuses sessions without a calendar', async () => {
    const first = await store.features.apply(view('1d'));
    const sessions = await store.features.apply(view('1 session'));
    expect(sessions).toMatchObject({ version: first.version + 1, created: true });
    expect((await store.features.getVersion('last_close', sessions.version)).definition).toMatchObject({ ttl: '1 session', calendar: 'XNYS' });
    expect(await store.features.apply(view('1 session'))).toMatchObject({ version: sessions.version, created: false });
    await expect(store.features.apply({ ...view('2 sessions', 'plain_1d'), name: 'other' })).rejects.toThrow(/^ttl: counts sessions, so it needs a trading calendar/);
    await expect(store.features.apply({ ...view('2 sessions', 'plain_1d', { calendar: 'XNAS' }), name: 'other' })).resolves.toMatchObject({ created: true });
    await expect(store.features.apply({ ...view('0 sessions'), name: 'other2' })).rejects.toThrow(/^ttl: must count 1 to 1000 sessions/);
  });

  it('training sets keep a bar until the close of the next session: over the weekend, Thanksgiving and the early close', async () => {
    await store.materializer.run({ view: 'last_close' });
    const instants: number[] = [];
    for (const c of sortedCloses.filter((x) => x >= Date.UTC(2021, 10, 1) && x <= Date.UTC(2021, 11, 10))) instants.push(c, c - 1000, c + 1000);
    for (let t = Date.UTC(2021, 10, 1); t < Date.UTC(2021, 11, 10); t += 5 * 3_600_000 + 17 * 60_000) instants.push(t);
    const sunday = Date.UTC(2021, 10, 28, 12);
    const thanksgiving = Date.UTC(2021, 10, 25, 15);
    instants.push(sunday, thanksgiving);
    const set = await store.trainingSets.create({
      features: { features: ['last_close:c'] },
      entities: { kind: 'rows', rows: instants.map((t) => ({ symbol: 'AAA', ts: new Date(t).toISOString() })) },
      pointInTime: 'event',
      timestampColumn: 'ts',
      runId: null,
    });
    const rows = await query<{ ts: string; c: number | null }>(sql`SELECT ts, last_close__c AS c FROM read_parquet(${fileLiteral(set.file)})`);
    const expected = instants.map((t) => {
      const latest = bars.filter((b) => b.close <= t).at(-1);
      return latest && t <= expiry(latest.close, 1) ? latest.value : null;
    });
    expect(rows.map((r) => r.c)).toEqual(expected);
    expect(expected.filter((v) => v === null).length).toBeGreaterThan(20);
    // Friday's bar (the early close after Thanksgiving) is still there on Sunday; Wednesday's on Thanksgiving.
    const valueOf = (day: string) => bars.find((b) => b.day === day)!.value;
    expect(rows[instants.indexOf(sunday)].c).toBe(valueOf('2021-11-26'));
    expect(rows[instants.indexOf(thanksgiving)].c).toBe(valueOf('2021-11-24'));
  });

  it('online: the last bar (Friday) is PRESENT over the weekend and until Monday 16:00 New York, then OUTSIDE_TTL', async () => {
    const last = bars.at(-1)!;
    const mondayClose = expiry(last.close, 1);
    expect(new Date(mondayClose).toISOString()).toBe('2021-12-06T21:00:00.000Z');
    for (const now of [Date.UTC(2021, 11, 4, 12), Date.UTC(2021, 11, 5, 23), mondayClose - 1000, mondayClose, mondayClose + 1000, Date.UTC(2021, 11, 8)]) {
      clock.set(new Date(now));
      const result = await store.serving.lookup({ features: ['last_close:c'], entities: { symbol: ['AAA'] } });
      expect({ at: new Date(now).toISOString(), status: result.tables[0].statuses[0] }).toEqual({ at: new Date(now).toISOString(), status: now > mondayClose ? 'OUTSIDE_TTL' : 'PRESENT' });
    }
  });
});
