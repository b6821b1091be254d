import { InvalidArgumentError } from '../errors/feature-store.error';
import { isSaneTime, parseUtc } from '../util/time';
import type { PendingEntry } from './stream-checkpoint.repository';

/**
 * The refresh start `since` of `key` in epoch milliseconds. Throws InvalidArgumentError unless
 * it is an ISO-8601 time inside SANE_TIME_RANGE: a start outside it (a year -1200 from epoch
 * seconds read wrongly) is written by DuckDB and by ISO text differently, so a refresh from it
 * would fail every time it is tried.
 */
export function refreshStartMs(key: string, since: string): number {
  const field = `since[${JSON.stringify(key)}]`;
  const ms = parseUtc(since, field).getTime();
  if (!isSaneTime(ms)) throw new InvalidArgumentError(`${field} must lie between 1900 and 2200, got ${JSON.stringify(since)}`, { field });
  return ms;
}

/**
 * The entry of a key after one more addition from `since`: the earlier start wins, compared as
 * times (ISO text does not sort as time: "-001200-…" < "2026-…" < "+010000-…"), and `n` goes up.
 * A stored start that is no sane time never wins, so it cannot hold a refresh back forever.
 */
export function addedEntry(prior: PendingEntry | undefined, since: string, sinceMs: number): PendingEntry {
  const priorMs = prior === undefined ? NaN : Date.parse(prior.since);
  const keepPrior = isSaneTime(priorMs) && priorMs <= sinceMs;
  return { since: keepPrior ? prior!.since : since, n: (prior?.n ?? 0) + 1 };
}
