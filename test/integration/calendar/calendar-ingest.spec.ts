import { readFileSync } from 'node:fs';
import { FileProvider, parseBarTiming, type BarTiming, type FeatureStore, type IngestSummary } from '@app/features';
import { exchangeCalendarSessions, type ReferenceCalendars } from '../../support/exchange-calendars';
import { lakeRows, openStore, tempDataDir, writeText } from '../../support/helpers';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const iso = (value: unknown): string => new Date(String(value)).toISOString().replace('.000Z', 'Z');

// One bar for every calendar day of a few windows (9/11, the 2002 July 5 and 2003 Dec 26 early
// closes, Sandy, the first Wednesday July 3 early close, G. H. W. Bush, Good Friday, the first
// Juneteenth) plus one day before the calendar's years, except every 37th weekday, left out to
// make gaps. Ingested by a calendar, the lake must hold exactly exchange_calendars' sessions of
// those days at their closes, the rest quarantined with a reason. (Every session 2000-2030 is
// compared in exchange-calendars.spec.ts; a lake partition per day makes 31 years slow here.)
const WINDOWS: ReadonlyArray<[string, string]> = [
  ['2000-01-01', '2004-01-10'],
  ['2012-10-01', '2013-07-31'],
  ['2018-11-15', '2019-01-15'],
  ['2021-03-25', '2022-07-10'],
];
describe('daily bars dated by a trading calendar (real DuckDB and Parquet, exchange_calendars as reference)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let reference: ReferenceCalendars;
  let csvPath: string;
  const days: string[] = [];

  beforeAll(async () => {
    reference = exchangeCalendarSessions('2000-01-01', '2030-12-31');
    tmp = tempDataDir();
    store = await openStore(tmp.dir);
    const lines = ['Date,High,Low,Open,Close,Volume', '1999-12-31,2,1,1.5,1.5,10'];
    let weekdays = 0;
    for (const [from, to] of WINDOWS) {
      for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        const wd = new Date(t).getUTCDay();
        if (wd !== 0 && wd !== 6 && ++weekdays % 37 === 0) continue;
        days.push(day);
        lines.push(`${day},2,1,1.5,1.5,10`);
      }
    }
    csvPath = writeText(tmp.dir, 'bars.csv', `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  const ingest = (dataset: string, timing: BarTiming): Promise<IngestSummary> =>
    store.ingest.run(new FileProvider({ path: csvPath, timing, symbol: 'AAA' }), { dataset, createAs: 'bars' });

  async function expectSessions(dataset: string, name: 'XNYS' | 'XNAS' | '24/7', summary: IngestSummary): Promise<void> {
    const listed = new Set(days);
    const expected = reference.calendars[name].filter(([date]) => listed.has(date));
    const rows = await lakeRows(tmp.dir, dataset);
    expect(rows.map((r) => iso(r.ts))).toEqual(expected.map(([, , close]) => close));
    expect(summary.accepted).toBe(expected.length);
    // Rejected: the day before the calendar's years, and every listed day without a session.
    const sessionDays = new Set(reference.calendars[name].map(([date]) => date));
    expect(summary.rejected).toBe(1 + days.filter((d) => !sessionDays.has(d)).length);
    // Gaps, by brute force over the reference: its sessions from the first bar to the last that the file lacks.
    const [first, last] = [expected[0][0], expected.at(-1)![0]];
    const missing = reference.calendars[name].filter(([date]) => date >= first && date <= last && !listed.has(date)).length;
    expect(missing).toBeGreaterThan(1000);
    expect(summary.batches[0].gaps).toEqual([{ key: 'AAA', missing }]);
  }

  it('XNYS: ts = each session close (13:00 New York on early closes), other days quarantined with the reason', async () => {
    const summary = await ingest('equity_1d', parseBarTiming({ calendar: 'XNYS' }));
    await expectSessions('equity_1d', 'XNYS', summary);
    expect(summary.accepted).toBeGreaterThan(1300);
    const quarantined = readFileSync(summary.batches[0].quarantineFile!, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { row: number; error: string; raw: { Date: string } });
    expect(quarantined).toHaveLength(summary.rejected);
    const sessionDays = new Set(reference.calendars.XNYS.map(([date]) => date));
    for (const q of quarantined) {
      const day = q.raw.Date;
      expect(q.row).toBe(day === '1999-12-31' ? 1 : days.indexOf(day) + 2);
      expect(sessionDays.has(day)).toBe(false);
      const wd = WEEKDAYS[new Date(`${day}T00:00:00Z`).getUTCDay()];
      if (day === '1999-12-31') expect(q.error).toBe("ts: 1999-12-31 has no XNYS session (outside the calendar's years 2000-01-01..2035-12-31)");
      else if (wd === 'Saturday' || wd === 'Sunday') expect(q.error).toBe(`ts: ${day} has no XNYS session (${wd})`);
      else expect(q.error).toMatch(new RegExp(`^ts: ${day} has no XNYS session \\((?!${WEEKDAYS.join('|')})[A-Z].+\\)$`));
    }
    const reason = (day: string) => quarantined.find((q) => q.raw.Date === day)?.error;
    expect(reason('2012-10-29')).toMatch(/Hurricane Sandy/);
    expect(reason('2021-04-02')).toMatch(/Good Friday/);
    expect(reason('2022-06-20')).toMatch(/Juneteenth/);
    expect(reason('2000-12-25')).toMatch(/Christmas Day/);
    const september11 = ['2001-09-11', '2001-09-12', '2001-09-13', '2001-09-14'].filter((d) => days.includes(d));
    expect(september11.length).toBeGreaterThanOrEqual(3);
    for (const day of september11) expect(reason(day)).toMatch(/September 11 attacks/);
    expect(await store.datasets.get('equity_1d')).toMatchObject({ calendar: 'XNYS' });
  });

  it('a dataset declared with a calendar dates daily bars by it however the daily timing is given', async () => {
    const columns = [
      { name: 'symbol', type: 'VARCHAR' },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 'open', type: 'DOUBLE' },
      { name: 'high', type: 'DOUBLE' },
      { name: 'low', type: 'DOUBLE' },
      { name: 'close', type: 'DOUBLE' },
      { name: 'volume', type: 'DOUBLE' },
    ];
    await store.datasets.declare('nasdaq_1d', { columns, calendar: 'XNAS' });
    await expectSessions('nasdaq_1d', 'XNAS', await ingest('nasdaq_1d', parseBarTiming({ interval: '1d' })));
    await store.datasets.declare('nyse_fixed', { columns, calendar: 'XNYS' });
    await expectSessions('nyse_fixed', 'XNYS', await ingest('nyse_fixed', parseBarTiming({ timeIs: 'session' })));
    await store.datasets.declare('crypto_1d', { columns, calendar: '24/7' });
    await expectSessions('crypto_1d', '24/7', await ingest('crypto_1d', parseBarTiming({ interval: '1d' })));

    const conflict = await ingest('nasdaq_1d', parseBarTiming({ calendar: 'XNYS' }));
    expect(conflict.failures).toEqual([expect.objectContaining({ error: 'calendar: dataset nasdaq_1d follows calendar XNAS; the ingest names calendar XNYS' })]);
    const otherClose = await ingest('nasdaq_1d', parseBarTiming({ closeTime: '15:00' }));
    expect(otherClose.failures[0].error).toMatch(/follows calendar XNAS; its sessions close at 16:00 America\/New_York .* not at 15:00/);
    await expect(store.datasets.declare('bad_calendar', { columns, calendar: 'NYSE' })).rejects.toThrow(/calendar must be one of XNYS, XNAS, 24\/7/);
    await expect(store.datasets.declare('nasdaq_1d', { columns, calendar: 'XNYS' })).rejects.toThrow(/different schema/);
  });
});
