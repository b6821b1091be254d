import { parseCalendarName, tradingCalendar, type CalendarName } from '../calendar/calendars';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import { parseDuration, type Duration } from '../util/time';

/**
 * How a source's timestamps relate to the time a bar became known (its close):
 * - `close`: they already are close times;
 * - `start`: they are bar start times, and the bar closes one `interval` later
 *   (a crypto daily bar dated 2021-04-01 closes 2021-04-02T00:00Z);
 * - `session`: daily bars dated D close on D, either at a fixed wall-clock time in an exchange's
 *   zone (16:00 America/New_York) or at D's close in a trading calendar (13:00 on an early-close
 *   day; a bar dated on a day without a session is rejected).
 */
export type BarTiming =
  | { readonly kind: 'close' }
  | { readonly kind: 'start'; readonly interval: Duration }
  | FixedSessionTiming
  | CalendarSessionTiming;

export interface FixedSessionTiming {
  readonly kind: 'session';
  readonly closeTime: string;
  readonly timeZone: string;
  readonly calendar?: undefined;
}

export interface CalendarSessionTiming {
  readonly kind: 'session';
  readonly calendar: CalendarName;
}

/** Builds a BarTiming from CLI/API options; the interval is mandatory unless times are close times or a calendar's. */
export function parseBarTiming(options: { interval?: string; timeIs?: string; closeTime?: string; timeZone?: string; calendar?: string }): BarTiming {
  const timeIs = options.timeIs ?? (options.closeTime || options.calendar ? 'session' : 'start');
  if (options.calendar !== undefined) {
    const calendar = parseCalendarName(options.calendar);
    if (timeIs !== 'session') {
      throw new InvalidArgumentError(`calendar: a calendar dates daily bars by their session (time-is session), not ${JSON.stringify(timeIs)}`, { field: 'calendar' });
    }
    if (options.closeTime !== undefined || options.timeZone !== undefined) {
      throw new InvalidArgumentError('calendar: the calendar knows each session\'s close and zone; drop close-time and timezone', { field: 'calendar' });
    }
    return { kind: 'session', calendar };
  }
  if (timeIs === 'close') return { kind: 'close' };
  if (timeIs === 'session') {
    const closeTime = options.closeTime ?? '16:00';
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(closeTime)) {
      throw new InvalidArgumentError(`close-time must be HH:MM, got ${JSON.stringify(closeTime)}`, { field: 'closeTime' });
    }
    const timeZone = options.timeZone ?? 'America/New_York';
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new InvalidArgumentError(`timezone: unknown IANA time zone ${JSON.stringify(timeZone)}`, { field: 'timeZone' });
    }
    return { kind: 'session', closeTime, timeZone };
  }
  if (timeIs !== 'start') {
    throw new InvalidArgumentError(`time-is must be start, close or session, got ${JSON.stringify(timeIs)}`, { field: 'timeIs' });
  }
  if (options.interval === undefined) {
    throw new InvalidArgumentError(
      'interval is required (e.g. --interval 1d): bar timestamps are start times and the bar is only known at its close',
      { field: 'interval' },
    );
  }
  return { kind: 'start', interval: parseDuration(options.interval, 'interval') };
}

/** A stable description of the timing, part of a batch's identity. */
export function describeTiming(timing: BarTiming): string {
  switch (timing.kind) {
    case 'close':
      return 'close';
    case 'start':
      return `start+${timing.interval.text}`;
    case 'session':
      return timing.calendar ? `session@${timing.calendar}` : `session@${timing.closeTime} ${timing.timeZone}`;
  }
}

/**
 * The timing an ingest into a dataset uses. A dataset that declares a calendar dates its daily
 * bars by that calendar's sessions whichever way the daily timing was given (a 1d interval or a
 * session close that matches the calendar's regular close), so every way in lands on the same
 * `ts`; a timing that contradicts the calendar is refused. Intraday and close-time rows keep theirs.
 */
export function timingForDataset(timing: BarTiming, dataset: string, calendar: CalendarName | undefined): BarTiming {
  if (!calendar) return timing;
  const refuse = (what: string): never => {
    throw new UnprocessableError(ErrorCode.InvalidArgument, `calendar: dataset ${dataset} follows calendar ${calendar}; ${what}`, { field: 'calendar', calendar });
  };
  switch (timing.kind) {
    case 'close':
      return timing;
    case 'start':
      return timing.interval.seconds === 86_400 ? { kind: 'session', calendar } : timing;
    case 'session': {
      if (timing.calendar) return timing.calendar === calendar ? timing : refuse(`the ingest names calendar ${timing.calendar}`);
      const regular = tradingCalendar(calendar).regularClose;
      if (timing.closeTime === regular.time && timing.timeZone === regular.timeZone) return { kind: 'session', calendar };
      return refuse(`its sessions close at ${regular.time} ${regular.timeZone} (earlier on early-close days), not at ${timing.closeTime} ${timing.timeZone}`);
    }
  }
}
