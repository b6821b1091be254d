import { sql, type Sql } from '../sql/sql';
import { dayNumber, dayText } from './calendar-day';
import type { TradingCalendar } from './trading-calendar';

// The calendar travels as bound lists with one entry per day of its years, looked up by the day's
// position: no date is written into the SQL, each row costs one index, and (unlike a join) the
// rows keep their order, which the row numbers of rejected rows rely on. Entries are text with ''
// for "none": the driver types a bound list by its first element, and a leading NULL loses the rest.

function dayIndex(calendar: TradingCalendar, day: Sql): Sql {
  return sql`(date_diff('day', ${calendar.firstDay}::DATE, ${day}) + 1)`;
}

function inRange(calendar: TradingCalendar, day: Sql): Sql {
  return sql`${day} BETWEEN ${calendar.firstDay}::DATE AND ${calendar.lastDay}::DATE`;
}

function everyDay<T>(calendar: TradingCalendar, f: (day: string) => T): T[] {
  const out: T[] = [];
  for (let n = dayNumber(calendar.firstDay); n <= dayNumber(calendar.lastDay); n++) out.push(f(dayText(n)));
  return out;
}

/** SQL for the close (TIMESTAMPTZ) of the session dated `day` (a DATE expression); NULL on a day without one. */
export function sessionCloseSql(calendar: TradingCalendar, day: Sql): Sql {
  const closes = everyDay(calendar, (d) => {
    const session = calendar.sessionOf(d);
    return session ? session.close.toISOString() : '';
  });
  return sql`CASE WHEN ${inRange(calendar, day)} THEN CAST(NULLIF(${closes}[${dayIndex(calendar, day)}], '') AS TIMESTAMPTZ) END`;
}

/** SQL for why `day` (a DATE expression) has no session: the holiday's name, the weekday, or outside the calendar's years. */
export function closedReasonSql(calendar: TradingCalendar, day: Sql): Sql {
  const reasons = everyDay(calendar, (d) => calendar.closedReason(d) ?? '');
  const outside = `outside the calendar's years ${calendar.firstDay}..${calendar.lastDay}`;
  return sql`CASE WHEN ${inRange(calendar, day)} THEN coalesce(NULLIF(${reasons}[${dayIndex(calendar, day)}], ''), 'no session') ELSE ${outside} END`;
}
