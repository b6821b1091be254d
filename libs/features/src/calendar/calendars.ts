import { InvalidArgumentError } from '../errors/feature-store.error';
import { SATURDAY, SUNDAY } from './calendar-day';
import { TradingCalendar, type CalendarRules } from './trading-calendar';
import { usEquityEarlyCloses, usEquityHolidays } from './us-equity.rules';

/** The calendars a dataset may declare. */
export const CALENDAR_NAMES = ['XNYS', 'XNAS', '24/7'] as const;
export type CalendarName = (typeof CALENDAR_NAMES)[number];

/** The years every calendar covers. */
export const CALENDAR_YEARS = { first: 2000, last: 2035 } as const;

// NYSE and Nasdaq keep the same holidays, early closes and hours (09:30-16:00, early 13:00).
function usEquity(name: CalendarName): CalendarRules {
  return {
    name,
    timeZone: 'America/New_York',
    firstYear: CALENDAR_YEARS.first,
    lastYear: CALENDAR_YEARS.last,
    weekend: [SATURDAY, SUNDAY],
    openMinutes: 9 * 60 + 30,
    closeMinutes: 16 * 60,
    earlyCloseMinutes: 13 * 60,
    holidays: usEquityHolidays,
    earlyCloses: usEquityEarlyCloses,
  };
}

// Crypto trades around the clock: one session per UTC day, 00:00 to the next midnight.
const ALWAYS_OPEN: CalendarRules = {
  name: '24/7',
  timeZone: 'UTC',
  firstYear: CALENDAR_YEARS.first,
  lastYear: CALENDAR_YEARS.last,
  weekend: [],
  openMinutes: 0,
  closeMinutes: 24 * 60,
  earlyCloseMinutes: 24 * 60,
  holidays: () => [],
  earlyCloses: () => [],
};

const RULES: Record<CalendarName, () => CalendarRules> = { XNYS: () => usEquity('XNYS'), XNAS: () => usEquity('XNAS'), '24/7': () => ALWAYS_OPEN };
const built = new Map<CalendarName, TradingCalendar>();

/** True when `text` names a known calendar. */
export function isCalendarName(text: unknown): text is CalendarName {
  return typeof text === 'string' && (CALENDAR_NAMES as readonly string[]).includes(text);
}

/** Checks a calendar name from a request or option; throws naming `field` otherwise. */
export function parseCalendarName(text: unknown, field = 'calendar'): CalendarName {
  if (!isCalendarName(text)) {
    throw new InvalidArgumentError(`${field} must be one of ${CALENDAR_NAMES.join(', ')}, got ${JSON.stringify(text)}`, { field });
  }
  return text;
}

/** The calendar of that name, generated from its rules on first use and kept. */
export function tradingCalendar(name: CalendarName): TradingCalendar {
  let calendar = built.get(name);
  if (!calendar) {
    calendar = new TradingCalendar(RULES[name]());
    built.set(name, calendar);
  }
  return calendar;
}
