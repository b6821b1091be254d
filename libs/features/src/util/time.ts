import { InvalidArgumentError } from '../errors/feature-store.error';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A fixed duration such as a bar interval ("1d", "15m") or a TTL ("36h", "7d"). */
export interface Duration {
  readonly text: string;
  readonly seconds: number;
}

/** Parses "<n><unit>" with unit s, m, h, d or w; throws naming `field` otherwise. */
export function parseDuration(text: unknown, field: string): Duration {
  const match = typeof text === 'string' ? /^(\d{1,6})([smhdw])$/.exec(text.trim()) : null;
  if (!match) {
    throw new InvalidArgumentError(
      `${field} must be a duration like 30s, 15m, 1h, 1d or 1w, got ${JSON.stringify(text)}`,
      { field },
    );
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  if (seconds <= 0) throw new InvalidArgumentError(`${field} must be positive`, { field });
  return { text: `${match[1]}${match[2]}`, seconds };
}

/**
 * The times the store accepts anywhere (bars, entity rows, ranges): 1900-01-01 up to, not
 * including, 2200-01-01 UTC. Outside it a value is a unit mistake (epoch seconds read as
 * milliseconds, a year -1200), and DuckDB and ISO text disagree on how to write it.
 */
export const SANE_TIME_RANGE = { minMs: Date.UTC(1900, 0, 1), maxMs: Date.UTC(2200, 0, 1) } as const;

/** True when `ms` (epoch milliseconds) lies in SANE_TIME_RANGE. */
export function isSaneTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= SANE_TIME_RANGE.minMs && ms < SANE_TIME_RANGE.maxMs;
}

/** Parses an ISO-8601 date or timestamp (naive means UTC) within SANE_TIME_RANGE; throws naming `field` otherwise. */
export function parseUtc(text: unknown, field: string): Date {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new InvalidArgumentError(`${field} must be an ISO-8601 date or timestamp`, { field });
  }
  const trimmed = text.trim();
  const naive = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(trimmed);
  const iso = naive ? (trimmed.length === 10 ? `${trimmed}T00:00:00Z` : `${trimmed.replace(' ', 'T')}Z`) : trimmed;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    throw new InvalidArgumentError(`${field} is not a valid ISO-8601 timestamp: ${JSON.stringify(text)}`, {
      field,
    });
  }
  if (!isSaneTime(date.getTime())) {
    throw new InvalidArgumentError(`${field} must lie from 1900-01-01 up to 2200-01-01 (UTC), got ${JSON.stringify(text)}`, { field });
  }
  return date;
}

/** The UTC calendar date of `date` as YYYY-MM-DD. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Midnight UTC of the day containing `date`. */
export function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** `date` plus `days` whole days. */
export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}
