import { CALENDAR_NAMES, tradingCalendar, type CalendarName } from '@app/features';
import { exchangeCalendarSessions, type ReferenceCalendars } from '../../support/exchange-calendars';

// Every session 2000-2030 of our calendars, generated from the rules, against exchange_calendars.
describe('trading calendars against exchange_calendars', () => {
  let reference: ReferenceCalendars;
  beforeAll(() => {
    reference = exchangeCalendarSessions('2000-01-01', '2030-12-31');
  });

  it.each(CALENDAR_NAMES.map((name) => [name]))('%s: every session 2000-2030 has the same date, open and close', (name: CalendarName) => {
    const ours = new Map(
      tradingCalendar(name)
        .sessionsBetween('2000-01-01', '2030-12-31')
        .map((s) => [s.date, [s.open.toISOString().replace('.000Z', 'Z'), s.close.toISOString().replace('.000Z', 'Z')]]),
    );
    const theirs = new Map(reference.calendars[name].map(([date, open, close]) => [date, [open, close]]));
    const mismatches: string[] = [];
    for (const [date, [open, close]] of theirs) {
      const mine = ours.get(date);
      if (!mine) mismatches.push(`${date}: a session in exchange_calendars ${reference.version}, not in ours`);
      else if (mine[0] !== open || mine[1] !== close) mismatches.push(`${date}: ours ${mine.join('..')}, exchange_calendars ${open}..${close}`);
    }
    for (const date of ours.keys()) if (!theirs.has(date)) mismatches.push(`${date}: a session in ours, not in exchange_calendars`);
    mismatches.sort();
    expect(mismatches).toEqual([]);
    expect(ours.size).toBe(theirs.size);
    // Thirty-one years of sessions: a truncated reference must not pass as a match.
    expect(theirs.size).toBeGreaterThan(name === '24/7' ? 11_300 : 7_700);
    console.log(`${name}: ${theirs.size} sessions compared with exchange_calendars ${reference.version}`);
  });

  it('24/7: every UTC day 2000-2035 is one session from 00:00 to 24:00 UTC (brute force)', () => {
    const calendar = tradingCalendar('24/7');
    const expected: string[] = [];
    for (let t = Date.UTC(2000, 0, 1); t <= Date.UTC(2035, 11, 31); t += 86_400_000) {
      expected.push(`${new Date(t).toISOString()}..${new Date(t + 86_400_000).toISOString()}`);
    }
    expect(calendar.sessions.map((s) => `${s.open.toISOString()}..${s.close.toISOString()}`)).toEqual(expected);
    expect(calendar.sessions.every((s) => s.date === s.open.toISOString().slice(0, 10))).toBe(true);
  });
});
