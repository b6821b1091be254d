import { InvalidArgumentError } from '../errors/feature-store.error';

/**
 * A calendar day as `YYYY-MM-DD`: a session is a date in the exchange's zone, not an instant,
 * so the calendar API takes days as text and never guesses a zone from a Date.
 */
export type CalendarDay = string;

const MS_PER_DAY = 86_400_000;
export const SUNDAY = 0;
export const MONDAY = 1;
export const WEDNESDAY = 3;
export const THURSDAY = 4;
export const FRIDAY = 5;
export const SATURDAY = 6;
export const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** Days since 1970-01-01 of a valid `YYYY-MM-DD`; throws naming `field` otherwise. */
export function dayNumber(day: CalendarDay, field = 'date'): number {
  const match = typeof day === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(day) : null;
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new InvalidArgumentError(`${field} must be a calendar day YYYY-MM-DD, got ${JSON.stringify(day)}`, { field });
  }
  return ms / MS_PER_DAY;
}

/** The `YYYY-MM-DD` of a day number. */
export function dayText(n: number): CalendarDay {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The day number of a date given by its parts (month 1-12). */
export function ymd(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(n: number): number {
  return (((n + THURSDAY) % 7) + 7) % 7;
}

/** The `nth` (1-based) given weekday of a month; a negative `nth` counts from the month's end. */
export function nthWeekday(year: number, month: number, wd: number, nth: number): number {
  if (nth > 0) {
    const first = ymd(year, month, 1);
    return first + ((wd - weekday(first) + 7) % 7) + (nth - 1) * 7;
  }
  const last = ymd(year, month + 1, 0);
  return last - ((weekday(last) - wd + 7) % 7) + (nth + 1) * 7;
}

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}
