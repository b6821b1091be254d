import { InvalidArgumentError } from '../errors/feature-store.error';
import { WEEKDAY_NAMES, dayNumber, dayText, weekday, ymd, type CalendarDay } from './calendar-day';
import type { NamedDay } from './us-equity.rules';
import { wallTimeToUtc } from './zoned-time';

/** One trading session: its date in the exchange's zone, and its open and close as UTC instants. */
export interface Session {
  readonly date: CalendarDay;
  readonly open: Date;
  readonly close: Date;
  /** True when the session closes before the regular close (13:00 New York on the US early-close days). */
  readonly earlyClose: boolean;
}

/** What a calendar is generated from: the exchange's regular hours, weekend and yearly rules. */
export interface CalendarRules {
  readonly name: string;
  /** The IANA zone the hours are given in. */
  readonly timeZone: string;
  readonly firstYear: number;
  readonly lastYear: number;
  /** Weekdays without sessions (0 = Sunday). */
  readonly weekend: readonly number[];
  /** Regular open and close in minutes after local midnight (1440 = the next midnight). */
  readonly openMinutes: number;
  readonly closeMinutes: number;
  readonly earlyCloseMinutes: number;
  holidays(year: number): readonly NamedDay[];
  earlyCloses(year: number): readonly NamedDay[];
}

/**
 * A trading calendar generated from its rules for every year it covers, with lookups by day and
 * by instant. Days outside its years are refused (a guess there would be silently wrong).
 */
export class TradingCalendar {
  readonly name: string;
  readonly timeZone: string;
  readonly firstDay: CalendarDay;
  readonly lastDay: CalendarDay;
  /** Every session, in order. */
  readonly sessions: readonly Session[];
  /** The close of a regular (not early) session as a wall-clock time in the calendar's zone (24/7: 24:00 UTC). */
  readonly regularClose: { readonly time: string; readonly timeZone: string };
  private readonly first: number;
  private readonly last: number;
  private readonly indexByDay = new Map<number, number>();
  private readonly holidayNames = new Map<number, string>();

  constructor(rules: CalendarRules) {
    this.name = rules.name;
    this.timeZone = rules.timeZone;
    this.first = ymd(rules.firstYear, 1, 1);
    this.last = ymd(rules.lastYear, 12, 31);
    this.firstDay = dayText(this.first);
    this.lastDay = dayText(this.last);
    const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    this.regularClose = { time: hhmm(rules.closeMinutes), timeZone: rules.timeZone };
    const early = new Set<number>();
    for (let year = rules.firstYear; year <= rules.lastYear; year++) {
      for (const h of rules.holidays(year)) this.holidayNames.set(h.day, h.name);
      for (const e of rules.earlyCloses(year)) early.add(e.day);
    }
    const sessions: Session[] = [];
    for (let day = this.first; day <= this.last; day++) {
      if (rules.weekend.includes(weekday(day)) || this.holidayNames.has(day)) continue;
      const isEarly = early.has(day);
      this.indexByDay.set(day, sessions.length);
      sessions.push({
        date: dayText(day),
        open: wallTimeToUtc(day, rules.openMinutes, rules.timeZone),
        close: wallTimeToUtc(day, isEarly ? rules.earlyCloseMinutes : rules.closeMinutes, rules.timeZone),
        earlyClose: isEarly,
      });
    }
    this.sessions = sessions;
  }

  /** True when `day` (YYYY-MM-DD) is a trading session; throws for a day outside the calendar's years. */
  isSession(day: CalendarDay): boolean {
    return this.indexByDay.has(this.inRange(day));
  }

  /** The session held on `day`, or undefined on a weekend or holiday. */
  sessionOf(day: CalendarDay): Session | undefined {
    const i = this.indexByDay.get(this.inRange(day));
    return i === undefined ? undefined : this.sessions[i];
  }

  /** Why `day` has no session ("Good Friday", "Saturday"), or undefined when it has one. */
  closedReason(day: CalendarDay): string | undefined {
    const n = this.inRange(day);
    if (this.indexByDay.has(n)) return undefined;
    return this.holidayNames.get(n) ?? WEEKDAY_NAMES[weekday(n)];
  }

  /** The first session strictly after `day` (any valid day), or undefined past the calendar's end. */
  nextSession(day: CalendarDay): Session | undefined {
    return this.sessions[this.firstIndexAfter(dayText(dayNumber(day)))];
  }

  /** The last session strictly before `day`, or undefined before the calendar's start. */
  previousSession(day: CalendarDay): Session | undefined {
    return this.sessions[this.firstIndexAtOrAfter(dayText(dayNumber(day))) - 1];
  }

  /** The sessions dated from `from` through `to`, both included. */
  sessionsBetween(from: CalendarDay, to: CalendarDay): Session[] {
    const start = this.firstIndexAtOrAfter(dayText(dayNumber(from, 'from')));
    const end = this.firstIndexAfter(dayText(dayNumber(to, 'to')));
    return this.sessions.slice(start, Math.max(start, end));
  }

  /**
   * The `n`th session (n >= 1) whose close is strictly after `instant`: a value known at a
   * Friday close, plus 1 session, lasts until Monday's close; one known at 10:00 on a Monday,
   * plus 1, until that Monday's close. Undefined past the calendar's end.
   */
  addSessions(instant: Date, n: number): Session | undefined {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`sessions must be a positive integer, got ${n}`, { field: 'sessions' });
    const t = instant.getTime();
    // Before the first day (UTC) the sessions of the year before are unknown.
    if (!(t >= this.first * 86_400_000)) return undefined;
    return this.sessions[this.firstCloseAfter(t) + n - 1];
  }

  /** How many sessions close within [from, to] (instants, both included). */
  sessionsClosingBetween(from: Date, to: Date): number {
    return Math.max(0, this.firstCloseAfter(to.getTime()) - this.firstCloseAfter(from.getTime() - 1));
  }

  // The index of the first session whose close is strictly after `t` (epoch ms).
  private firstCloseAfter(t: number): number {
    let lo = 0;
    let hi = this.sessions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sessions[mid].close.getTime() > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private inRange(day: CalendarDay): number {
    const n = dayNumber(day);
    if (n < this.first || n > this.last) {
      throw new InvalidArgumentError(`date ${day} is outside the ${this.name} calendar (${this.firstDay}..${this.lastDay})`, { field: 'date' });
    }
    return n;
  }

  // Sessions are sorted by date and dates are YYYY-MM-DD, so text order is time order.
  private firstIndexAtOrAfter(day: CalendarDay): number {
    let lo = 0;
    let hi = this.sessions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sessions[mid].date < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstIndexAfter(day: CalendarDay): number {
    let lo = 0;
    let hi = this.sessions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sessions[mid].date <= day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
