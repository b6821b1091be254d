import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** One session as the Python package `exchange_calendars` has it: date, open and close (UTC ISO). */
export type ReferenceSession = readonly [date: string, open: string, close: string];

export interface ReferenceCalendars {
  readonly version: string;
  readonly calendars: Readonly<Record<'XNYS' | 'XNAS' | '24/7', readonly ReferenceSession[]>>;
}

/**
 * The sessions from `from` through `to` (YYYY-MM-DD) of XNYS, XNAS and 24/7 according to
 * `exchange_calendars` (requirements-test.txt): an independent reference, one python3 call.
 */
export function exchangeCalendarSessions(from: string, to: string): ReferenceCalendars {
  const script = join(__dirname, 'exchange-calendars-sessions.py');
  const out = execFileSync('python3', [script, from, to], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as ReferenceCalendars;
}
