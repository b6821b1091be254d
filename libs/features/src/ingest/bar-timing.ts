import { InvalidArgumentError } from '../errors/feature-store.error';
import { parseDuration, type Duration } from '../util/time';

/**
 * How a source's timestamps relate to the time a bar became known (its close):
 * - `close`: they already are close times;
 * - `start`: they are bar start times, and the bar closes one `interval` later
 *   (a crypto daily bar dated 2021-04-01 closes 2021-04-02T00:00Z);
 * - `session`: daily bars close at a wall-clock time in an exchange's time zone
 *   (NYSE: 16:00 America/New_York).
 */
export type BarTiming =
  | { readonly kind: 'close' }
  | { readonly kind: 'start'; readonly interval: Duration }
  | { readonly kind: 'session'; readonly closeTime: string; readonly timeZone: string };

/** Builds a BarTiming from CLI/API options; the interval is mandatory unless times are close times. */
export function parseBarTiming(options: { interval?: string; timeIs?: string; closeTime?: string; timeZone?: string }): BarTiming {
  const timeIs = options.timeIs ?? (options.closeTime ? 'session' : 'start');
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
      return `session@${timing.closeTime} ${timing.timeZone}`;
  }
}
