import type { ChildProcess } from 'node:child_process';
import { collectOutput, hasExited, spawnIngest } from './processes';
import { waitFor } from './wait';

/** `npm run ingest -- stream …` as a child process. */
export interface Worker {
  readonly child: ChildProcess;
  /** performance.now() when it was spawned, so a bench can time its start-up too. */
  readonly spawnedAt: number;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves once it has connected and subscribed (its "streaming …" line); rejects if it exits first. */
  ready(): Promise<void>;
  /** SIGTERM (it finishes its batch and commits), then waits for the exit, at most `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL, when it is no longer needed. */
  kill(): void;
}

export interface WorkerOptions {
  /** Node flags for the worker (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** Copies its output to this process's stderr as it comes. */
  readonly echo?: boolean;
}

export function startWorker(dataDir: string, args: readonly string[], options: WorkerOptions = {}): Worker {
  const spawnedAt = performance.now();
  const child = spawnIngest(dataDir, ['stream', ...args], options);
  const output = collectOutput(child);
  if (options.echo) {
    child.stdout!.pipe(process.stderr);
    child.stderr!.pipe(process.stderr);
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    spawnedAt,
    output,
    exited,
    async ready() {
      await waitFor(
        () => {
          if (output().includes('streaming ')) return true;
          if (hasExited(child)) throw new Error(`worker exited: ${output()}`);
          return false;
        },
        { timeoutMs: 180_000, everyMs: 20, what: () => `the worker to start streaming: ${output()}` },
      );
    },
    async stop(timeoutMs = 30_000) {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
    kill() {
      if (!hasExited(child)) child.kill('SIGKILL');
    },
  };
}
