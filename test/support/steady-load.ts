import { sleep } from './wait';

/*
 * A steady open-loop load for the fault tests: each target gets a request every 1000/rps ms
 * whatever the earlier ones do (a hung server piles up requests instead of slowing the load), and
 * every answer is kept: its target, when it was sent and answered, its status or error. Plain
 * fetch, no external tool, so a test can watch the samples while it kills and restarts things.
 */

export interface LoadTarget {
  readonly name: string;
  readonly base: string;
}

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
}

export interface LoadSample {
  readonly target: string;
  /** Date.now() when it was sent and when it was answered (or failed). */
  readonly sentAt: number;
  readonly doneAt: number;
  /** The HTTP status, or null when no answer came (refused, reset, timed out). */
  readonly status: number | null;
  /** The body's error message for a non-2xx answer, the network error otherwise. */
  readonly error: string | null;
  readonly body: string | null;
}

export interface LoadOptions {
  readonly targets: readonly LoadTarget[];
  readonly request: LoadRequest;
  /** Requests per second per target. */
  readonly rps: number;
  /** How long one request may take before it counts as failed (default 2 s). */
  readonly timeoutMs?: number;
}

export interface TargetReport {
  readonly target: string;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Failures by status (or by error text when nothing answered). */
  readonly failures: Record<string, number>;
  /** Per second of the load: [ok, failed]. */
  readonly perSecond: Array<[number, number]>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answered requests per second over the load's length. */
  readonly rps: number;
}

export class SteadyLoad {
  readonly samples: LoadSample[] = [];
  readonly startedAt = Date.now();
  private stoppedAt: number | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(private readonly options: LoadOptions) {}

  /** Starts sending at once; `stop` ends it. */
  static start(options: LoadOptions): SteadyLoad {
    const load = new SteadyLoad(options);
    // (unref: a test that fails before its stop() must not keep the run alive.)
    for (const target of options.targets) load.timers.push(setInterval(() => load.send(target), 1000 / options.rps).unref());
    return load;
  }

  /** The samples of one target answered at or after `since` (Date.now()). */
  of(target: string, since = 0): LoadSample[] {
    return this.samples.filter((s) => s.target === target && s.doneAt >= since);
  }

  /** Waits until `target` has `n` successful answers sent at or after `since`. */
  async okSince(target: string, since: number, n = 1, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.samples.filter((s) => s.target === target && s.sentAt >= since && isOk(s)).length < n) {
      if (Date.now() > deadline) throw new Error(`no ${n} successful answers of ${target} within ${timeoutMs} ms; last: ${JSON.stringify(this.of(target).slice(-3))}`);
      await sleep(20);
    }
  }

  /** Stops sending and waits for the requests under way. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.stoppedAt = Date.now();
    await Promise.all([...this.inFlight]);
  }

  report(): TargetReport[] {
    const end = this.stoppedAt ?? Date.now();
    const seconds = Math.max(1, Math.ceil((end - this.startedAt) / 1000));
    return this.options.targets.map(({ name }) => {
      const mine = this.of(name);
      const failures: Record<string, number> = {};
      const perSecond: Array<[number, number]> = Array.from({ length: seconds }, () => [0, 0]);
      for (const s of mine) {
        const slot = perSecond[Math.min(seconds - 1, Math.floor((s.sentAt - this.startedAt) / 1000))];
        if (isOk(s)) slot[0]++;
        else {
          slot[1]++;
          const why = s.status === null ? s.error ?? 'no answer' : String(s.status);
          failures[why] = (failures[why] ?? 0) + 1;
        }
      }
      const ms = mine.map((s) => s.doneAt - s.sentAt).sort((a, b) => a - b);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
      const ok = mine.filter(isOk).length;
      return { target: name, sent: mine.length, ok, failed: mine.length - ok, failures, perSecond, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: ms[ms.length - 1] ?? 0, rps: Math.round((mine.length / ((end - this.startedAt) / 1000)) * 10) / 10 };
    });
  }

  private send(target: LoadTarget): void {
    const { request, timeoutMs = 2000 } = this.options;
    const sentAt = Date.now();
    const work = (async () => {
      let sample: Omit<LoadSample, 'doneAt'>;
      try {
        const res = await fetch(`${target.base}${request.path}`, {
          method: request.method,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await res.text();
        sample = { target: target.name, sentAt, status: res.status, error: res.ok ? null : errorMessage(body), body };
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        sample = { target: target.name, sentAt, status: null, error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.cause?.code ?? e.message, body: null };
      }
      this.samples.push({ ...sample, doneAt: Date.now() });
    })();
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

export function isOk(sample: LoadSample): boolean {
  return sample.status !== null && sample.status >= 200 && sample.status < 300;
}

function errorMessage(body: string): string {
  try {
    return (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/** One line per target: sent, ok, failures, latency, requests/s. */
export function formatReport(reports: readonly TargetReport[]): string {
  return reports
    .map((r) => `${r.target}: ${r.sent} sent, ${r.ok} ok, ${r.failed} failed ${JSON.stringify(r.failures)}; p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms; ${r.rps} req/s; per second ok/failed ${r.perSecond.map(([o, f]) => `${o}/${f}`).join(' ')}`)
    .join('\n');
}
