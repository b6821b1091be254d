import { tradingCalendar } from './calendars';
import { dayNumber, dayText } from './calendar-day';
import { wallTimeToUtc } from './zoned-time';

// US daylight saving by the statute, written independently of the runtime's tz data:
// from 2007 the second Sunday of March to the first Sunday of November, before that the first
// Sunday of April to the last Sunday of October.
function usEasternOffsetHours(year: number, month: number, day: number): number {
  const sunday = (m: number, nth: number): number => {
    if (nth > 0) {
      const first = new Date(Date.UTC(year, m - 1, 1)).getUTCDay();
      return 1 + ((7 - first) % 7) + (nth - 1) * 7;
    }
    const lastDate = new Date(Date.UTC(year, m, 0)).getUTCDate();
    return lastDate - new Date(Date.UTC(year, m - 1, lastDate)).getUTCDay();
  };
  const [startM, startD, endM, endD] = year >= 2007 ? [3, sunday(3, 2), 11, sunday(11, 1)] : [4, sunday(4, 1), 10, sunday(10, -1)];
  const key = month * 100 + day;
  return key >= startM * 100 + startD && key < endM * 100 + endD ? -4 : -5;
}

describe('wallTimeToUtc', () => {
  it('puts 09:30 and 16:00 New York on the UTC instants US daylight-saving rules give, every day 2000-2035', () => {
    const wrong: string[] = [];
    for (let n = dayNumber('2000-01-01'); n <= dayNumber('2035-12-31'); n++) {
      const [y, m, d] = dayText(n).split('-').map(Number);
      const offset = usEasternOffsetHours(y, m, d);
      for (const minutes of [9 * 60 + 30, 16 * 60]) {
        const expected = Date.UTC(y, m - 1, d, 0, minutes) - offset * 3_600_000;
        if (wallTimeToUtc(n, minutes, 'America/New_York').getTime() !== expected) wrong.push(`${dayText(n)} +${minutes}min`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('TradingCalendar navigation', () => {
  const xnys = tradingCalendar('XNYS');
  // Brute force: walk day by day with isSession.
  const walk = (from: string, step: 1 | -1): string | undefined => {
    for (let n = dayNumber(from) + step; n >= dayNumber('2000-01-01') && n <= dayNumber('2035-12-31'); n += step) {
      if (xnys.isSession(dayText(n))) return dayText(n);
    }
    return undefined;
  };

  it('nextSession, previousSession and sessionsBetween agree with a day-by-day walk', () => {
    for (let n = dayNumber('2020-12-01'); n <= dayNumber('2022-01-31'); n++) {
      const day = dayText(n);
      expect(xnys.nextSession(day)?.date).toBe(walk(day, 1));
      expect(xnys.previousSession(day)?.date).toBe(walk(day, -1));
    }
    const between = xnys.sessionsBetween('2021-03-27', '2021-04-10').map((s) => s.date);
    const walked: string[] = [];
    for (let n = dayNumber('2021-03-27'); n <= dayNumber('2021-04-10'); n++) if (xnys.isSession(dayText(n))) walked.push(dayText(n));
    expect(between).toEqual(walked);
    expect(xnys.nextSession('2035-12-31')).toBeUndefined();
    expect(xnys.previousSession('2000-01-03')).toBeUndefined();
  });

  it('addSessions counts sessions whose close is after the instant (a Friday close + 1 → Monday close)', () => {
    for (const s of xnys.sessionsBetween('2021-06-01', '2021-12-31')) {
      for (const n of [1, 2, 5]) {
        // Brute force: the n-th session after the one that closed at that instant.
        let day = s.date;
        for (let i = 0; i < n; i++) day = walk(day, 1)!;
        expect(xnys.addSessions(s.close, n)?.date).toBe(day);
        expect(xnys.addSessions(new Date(s.close.getTime() - 1), n)?.date).toBe(n === 1 ? s.date : walk(day, -1));
      }
    }
    expect(() => xnys.addSessions(new Date(), 0)).toThrow(/positive integer/);
  });

  it('names why a day has no session, and refuses days outside 2000-2035', () => {
    expect(xnys.closedReason('2021-04-02')).toBe('Good Friday');
    expect(xnys.closedReason('2021-04-03')).toBe('Saturday');
    expect(xnys.closedReason('2021-04-05')).toBeUndefined();
    expect(() => xnys.isSession('1999-12-31')).toThrow(/outside the XNYS calendar \(2000-01-01..2035-12-31\)/);
    expect(() => xnys.isSession('2021-02-30')).toThrow(/YYYY-MM-DD/);
  });
});
