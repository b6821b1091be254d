import { InvalidArgumentError } from '../errors/feature-store.error';
import { sql, type Sql } from '../sql/sql';
import { parseDuration } from '../util/time';
import { dayNumber, dayText } from './calendar-day';
import { tradingCalendar, type CalendarName } from './calendars';

/**
 * A view's TTL or lookback: a fixed duration ("36h", "7d") or a number of trading sessions
 * ("2 sessions") of a calendar, which skips weekends, holidays and nights the way a market does.
 */
export type TimeSpan =
  | { readonly kind: 'duration'; readonly text: string; readonly seconds: number }
  | { readonly kind: 'sessions'; readonly text: string; readonly sessions: number; readonly calendar: CalendarName };

const SESSIONS = /^(\d{1,6})\s+sessions?$/;

/** True when `text` counts sessions ("1 session", "20 sessions"). */
export function countsSessions(text: string | null): boolean {
  return text !== null && SESSIONS.test(text.trim());
}

/** Parses a TTL or lookback; a count of sessions needs the calendar they are counted in. Throws naming `field`. */
export function parseTimeSpan(text: string, field: string, calendar: CalendarName | undefined): TimeSpan {
  const match = SESSIONS.exec(text.trim());
  if (!match) {
    const d = parseDuration(text, field);
    return { kind: 'duration', text: d.text, seconds: d.seconds };
  }
  const sessions = Number(match[1]);
  if (sessions < 1 || sessions > 1000) throw new InvalidArgumentError(`${field} must count 1 to 1000 sessions, got ${JSON.stringify(text)}`, { field });
  if (!calendar) {
    throw new InvalidArgumentError(
      `${field} counts sessions, so it needs a trading calendar: declare one on the source dataset (PUT /v1/datasets/{name} "calendar") or name one in the view ("calendar")`,
      { field },
    );
  }
  return { kind: 'sessions', text: `${sessions} session${sessions === 1 ? '' : 's'}`, sessions, calendar };
}

/**
 * Until when (epoch ms, inclusive) a value with event time `eventMs` is valid: event + duration,
 * or the close of the n-th session whose close is after the event (a Friday close with
 * "1 session" lasts until Monday's close). Outside the calendar's years: -Infinity (expired).
 */
export function expiresAtMs(span: TimeSpan, eventMs: number): number {
  if (span.kind === 'duration') return eventMs + span.seconds * 1000;
  return tradingCalendar(span.calendar).addSessions(new Date(eventMs), span.sessions)?.close.getTime() ?? Number.NEGATIVE_INFINITY;
}

const longest = new Map<string, number>();

/**
 * The longest wall-clock time `span` can last after an event, in whole seconds: the width of the
 * point-in-time join's pruning windows, which must hold every row a TTL can keep.
 */
export function longestSeconds(span: TimeSpan): number {
  if (span.kind === 'duration') return span.seconds;
  const id = `${span.calendar}|${span.sessions}`;
  let seconds = longest.get(id);
  if (seconds === undefined) {
    const calendar = tradingCalendar(span.calendar);
    const closes = calendar.sessions.map((s) => s.close.getTime());
    // An event just at or after close k-1 lives until close k+n-1; before the first close, from the first day's start.
    let ms = closes[span.sessions - 1] - dayNumber(calendar.firstDay) * 86_400_000;
    for (let k = 1; k + span.sessions - 1 < closes.length; k++) ms = Math.max(ms, closes[k + span.sessions - 1] - closes[k - 1]);
    seconds = Math.ceil(ms / 1000);
    longest.set(id, seconds);
  }
  return seconds;
}

/**
 * SQL for expiresAtMs as a TIMESTAMPTZ, of a TIMESTAMPTZ expression (NULL outside the calendar's
 * years: expired). Per UTC day of the calendar three bound lists give the first close at or after
 * the day's start and the n-th close counted from it or from the next one; sessions close at most
 * once per UTC day, so comparing the event with that first close picks the answer. The session
 * TimeZone is UTC (duckdb.engine.ts), so CAST(… AS DATE) is the UTC day.
 */
export function sessionExpirySql(span: Extract<TimeSpan, { kind: 'sessions' }>, eventTs: Sql): Sql {
  const calendar = tradingCalendar(span.calendar);
  const closes = calendar.sessions.map((s) => s.close.getTime() / 1000);
  for (let k = 1; k < closes.length; k++) {
    if (Math.floor(closes[k] / 86_400) === Math.floor(closes[k - 1] / 86_400)) throw new Error(`${calendar.name}: two sessions close on one UTC day`);
  }
  const first: string[] = [];
  const before: string[] = [];
  const after: string[] = [];
  let k = 0;
  const last = dayNumber(calendar.lastDay);
  for (let day = dayNumber(calendar.firstDay); day <= last; day++) {
    while (k < closes.length && closes[k] < day * 86_400) k++;
    const text = (i: number): string => (i < closes.length ? String(closes[i]) : '');
    first.push(text(k));
    before.push(text(k + span.sessions - 1));
    after.push(text(k + span.sessions));
  }
  const i = sql`(date_diff('day', ${calendar.firstDay}::DATE, CAST(${eventTs} AS DATE)) + 1)`;
  const at = (list: string[]): Sql => sql`CAST(NULLIF(${list}[${i}], '') AS DOUBLE)`;
  return sql`CASE WHEN CAST(${eventTs} AS DATE) BETWEEN ${calendar.firstDay}::DATE AND ${dayText(last)}::DATE
    THEN to_timestamp(CASE WHEN epoch(${eventTs}) < ${at(first)} THEN ${at(before)} ELSE ${at(after)} END) END`;
}

/**
 * What the point-in-time join needs of a view's TTL: `ttlSeconds`, the rule for a duration and
 * the pruning width for sessions, and for sessions `ttlExpiry`, the SQL of the exact rule.
 */
export function ttlJoinInput(ttl: string | null, calendar: CalendarName | undefined): { ttlSeconds: number | null; ttlExpiry?: (eventTs: Sql) => Sql } {
  if (ttl === null) return { ttlSeconds: null };
  const span = parseTimeSpan(ttl, 'ttl', calendar);
  if (span.kind === 'duration') return { ttlSeconds: span.seconds };
  return { ttlSeconds: longestSeconds(span), ttlExpiry: (eventTs) => sessionExpirySql(span, eventTs) };
}
