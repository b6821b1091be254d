/**
 * Waiting on a condition instead of sleeping: a sleep long enough for a slow CI machine wastes
 * time everywhere else, and one short enough for a laptop makes a test flaky.
 */

export interface WaitOptions {
  /** How long to keep trying (default 10 s). */
  readonly timeoutMs?: number;
  /** How long between tries (default 100 ms). */
  readonly everyMs?: number;
  /** What is awaited, for the timeout's message; a function is called only when it is needed. */
  readonly what?: string | (() => string);
}

/**
 * Polls `probe` until it returns something other than `undefined`, `null` or `false`, and returns
 * that. An exception from `probe` (say, the child process it watches has exited) ends the wait.
 */
export async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 100, what = 'a condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(everyMs);
  }
}

/** Retries an assertion until it passes or the time runs out; then its last failure is thrown. */
export async function expectEventually(assertion: () => Promise<void> | void, timeoutMs = 10_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

/** The status of a GET, or null when nothing answers (refused, reset, or no answer within 2 s). */
export async function httpStatus(url: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

/** True when a GET of `url` answers 2xx. */
export async function answersOk(url: string): Promise<boolean> {
  const status = await httpStatus(url);
  return status !== null && status >= 200 && status < 300;
}

/**
 * A pause for pacing (a send rate, a polling period, a measurement window), never for waiting
 * until something has happened: that is `waitFor`.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
