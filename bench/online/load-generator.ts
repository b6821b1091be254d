import { fork, type ChildProcess } from 'node:child_process';
import type { ProcessGroup } from '../../test/support/processes';
import { sleep } from '../../test/support/wait';
import { summarise } from '../support/stats';

/*
 * Load: autocannon (programmatic API) in a forked child process (this file, ONLINE_BENCH_WORKER=1),
 * never inside a server process, so the generator's event loop is not the server's. This file
 * imports nothing of the library: the child stays small.
 */

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Closed loop: as fast as `connections` connections go, after a warm-up. */
interface PeakTask {
  kind: 'peak';
  url: string;
  requests: LoadRequest[];
  connections: number;
  warmupSec: number;
  durationSec: number;
}

/** Open loop: `targetRps` spread over `instances` one-connection autocannon instances. */
interface PacedTask {
  kind: 'paced';
  url: string;
  requests: LoadRequest[];
  targetRps: number;
  instances: number;
  durationSec: number;
}

type LoadTask = PeakTask | PacedTask;

export interface LoadResult {
  /** 2xx responses per second over the measurement. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  connections: number;
  /** From every response's own time (ms, microsecond resolution), no coordinated-omission fill-in. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** autocannon's own summary (its histogram has 1 ms resolution). */
  autocannon: { p50: number; p99: number; rpsAverage: number };
}

/** The parent's handle on the forked load generator: one task at a time, answered over IPC. */
export class LoadGenerator {
  private readonly child: ChildProcess;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor(procs: ProcessGroup) {
    this.child = fork(__filename, [], {
      execArgv: ['-r', '@swc-node/register'],
      env: { ...process.env, ONLINE_BENCH_WORKER: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    procs.track(this.child);
    this.child.on('message', (m: { id: number; result?: LoadResult; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.result!);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`load worker exited with ${code}`));
      this.pending.clear();
    });
  }

  peak(url: string, requests: LoadRequest[], settings: { connections: number; warmupSec: number; durationSec: number }): Promise<LoadResult> {
    return this.run({ kind: 'peak', url, requests, ...settings });
  }

  /** At `targetRps`, split over at most `maxInstances` instances (one per request per second at the least). */
  paced(url: string, requests: LoadRequest[], settings: { targetRps: number; maxInstances: number; durationSec: number }): Promise<LoadResult> {
    const instances = Math.min(settings.maxInstances, Math.max(1, settings.targetRps));
    return this.run({ kind: 'paced', url, requests, targetRps: settings.targetRps, instances, durationSec: settings.durationSec });
  }

  private run(task: LoadTask): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolveRun, reject) => {
      this.pending.set(id, { resolve: resolveRun, reject });
      this.child.send({ id, task });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill('SIGTERM');
  }
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Runs in the forked child. */
async function runTask(task: LoadTask): Promise<LoadResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as typeof import('autocannon');
  const requests = (rotate: number) => {
    const rs = task.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body }));
    const k = rotate % rs.length;
    return [...rs.slice(k), ...rs.slice(0, k)];
  };
  const once = (opts: Record<string, unknown>, latencies: number[] | null) =>
    new Promise<import('autocannon').Result>((resolveRun, reject) => {
      const instance = autocannon({ url: task.url, pipelining: 1, timeout: 10, ...opts } as import('autocannon').Options, (error, result) => (error ? reject(error) : resolveRun(result)));
      if (latencies) instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => status < 300 && latencies.push(ms));
    });
  if (task.kind === 'peak') {
    if (task.warmupSec > 0) await once({ connections: task.connections, duration: task.warmupSec, requests: requests(0) }, null);
    const latencies: number[] = [];
    const result = await once({ connections: task.connections, duration: task.durationSec, requests: requests(0) }, latencies);
    const ok = result['2xx'];
    const seconds = task.durationSec;
    return {
      rps: Math.round(ok / seconds),
      ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      durationSec: seconds,
      connections: task.connections,
      ...summarise(latencies, r3),
      autocannon: { p50: result.latency.p50, p99: result.latency.p99, rpsAverage: result.requests.average },
    };
  }
  // autocannon's rate cap (overallRate/connectionRate) lets each connection send its per-second
  // quota back to back at the start of every second, then idle: one instance gives a burst per
  // second. So the target rate is split over `instances` autocannon instances of one connection
  // each, started 1000/instances ms apart: small bursts spread over the second.
  const latencies: number[] = [];
  const runs: Array<Promise<import('autocannon').Result>> = [];
  for (let i = 0; i < task.instances; i++) {
    // Instance rates add up to the target exactly.
    const rate = Math.max(1, Math.floor(task.targetRps / task.instances) + (i < task.targetRps % task.instances ? 1 : 0));
    runs.push(once({ connections: 1, overallRate: rate, duration: task.durationSec, requests: requests(i * 7) }, latencies));
    await sleep(1000 / task.instances);
  }
  const results = await Promise.all(runs);
  const total = (f: (r: import('autocannon').Result) => number) => results.reduce((a, r) => a + f(r), 0);
  const ok = total((r) => r['2xx']);
  return {
    rps: Math.round(ok / task.durationSec),
    ok,
    non2xx: total((r) => r.non2xx),
    errors: total((r) => r.errors),
    timeouts: total((r) => r.timeouts),
    durationSec: task.durationSec,
    connections: task.instances,
    ...summarise(latencies, r3),
    autocannon: { p50: NaN, p99: NaN, rpsAverage: total((r) => r.requests.average) },
  };
}

function serveTasks(): void {
  process.on('message', (m: { id: number; task: LoadTask }) => {
    runTask(m.task).then(
      (result) => process.send!({ id: m.id, result }),
      (error: unknown) => process.send!({ id: m.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.env.ONLINE_BENCH_WORKER === '1' && process.send) serveTasks();
