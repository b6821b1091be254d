import { isSaneTime } from '../util/time';

/** A bar message on the stream, after the structural check (the ingestor checks the values). */
export type BarRow = Record<string, string | number | null>;

const REQUIRED_NUMBERS = ['open', 'high', 'low', 'close', 'volume'] as const;
const OPTIONAL_NUMBERS = ['adj_close'] as const;

/** Every field a bar message's row can have. */
export const BAR_FIELDS: readonly string[] = ['symbol', 'ts', ...REQUIRED_NUMBERS, ...OPTIONAL_NUMBERS];

/**
 * Checks one message's bytes: a JSON object with `symbol` (non-empty string), `ts` (ISO-8601 text
 * or epoch seconds/milliseconds; the bar's close: when it became known), numeric `open`, `high`,
 * `low`, `close`, `volume`, optional `adj_close`. Other fields are ignored. Returns the row (and
 * how many fields the message had), or the reason it cannot be one (the message then goes to the
 * dead-letter topic).
 */
export function parseBarMessage(value: Buffer | null, maxBytes: number): { row: BarRow; fields: number } | { error: string } {
  if (value === null || value.length === 0) return { error: 'empty message' };
  if (value.length > maxBytes) return { error: `message of ${value.length} bytes is over the ${maxBytes}-byte limit` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'not a JSON object' };
  const m = parsed as Record<string, unknown>;
  if (typeof m.symbol !== 'string' || m.symbol.trim() === '') return { error: 'symbol: a non-empty string is required' };
  if (typeof m.ts !== 'string' && typeof m.ts !== 'number') return { error: 'ts: an ISO-8601 timestamp or epoch seconds/milliseconds is required' };
  // A time outside the sane range is a unit mistake; left in, it would also become the symbol's
  // online-refresh start, which no refresh can read.
  const ms = tsMillis(m.ts);
  if (Number.isFinite(ms) && !isSaneTime(ms)) return { error: `ts: ${JSON.stringify(m.ts)} is outside 1900..2200 (seconds vs milliseconds?)` };
  const row: BarRow = { symbol: m.symbol, ts: m.ts };
  for (const f of REQUIRED_NUMBERS) {
    const v = m[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `${f}: a finite number is required, got ${JSON.stringify(v ?? null)}` };
    row[f] = v;
  }
  for (const f of OPTIONAL_NUMBERS) {
    const v = m[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `${f}: a finite number or null is required, got ${JSON.stringify(v)}` };
    row[f] = v;
  }
  // How many fields the message had: more than the row's means it had others (ignored).
  return { row, fields: Object.keys(m).length };
}

/** A bar's time in epoch ms: ISO-8601 text, or epoch seconds / milliseconds (NaN when unreadable). */
export function tsMillis(ts: string | number | null): number {
  if (typeof ts === 'number') return ts < 1e11 ? ts * 1000 : ts;
  return ts === null ? NaN : Date.parse(ts.replace(' ', 'T'));
}
