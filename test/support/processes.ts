import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { ROOT } from './helpers';

/** The arguments that run `npm run ingest -- …`'s entry point with node (swc compiles on the fly). */
export function ingestArgs(args: readonly string[], nodeArgs: readonly string[] = []): string[] {
  return [...nodeArgs, '-r', '@swc-node/register', 'apps/ingest/src/main.ts', ...args];
}

/** `npm run ingest -- …` as a child process on `dataDir`, from the repository root. */
export function spawnIngest(dataDir: string, args: readonly string[], options: { nodeArgs?: readonly string[]; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, ingestArgs(args, options.nodeArgs), { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Everything a child writes to stdout and stderr so far, interleaved. */
export function collectOutput(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return () => output;
}

/** True once the child has exited (by itself or by a signal). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run ingest -- …` the way a user does (the same entry point, in a child process). */
export function cli(dataDir: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawnIngest(dataDir, args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Sends `signal` to the child's whole process group (it was spawned detached), or to the child alone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * SIGTERM to a detached child's process group, SIGKILL after `graceMs`; resolves once it has
 * exited. Servers such as gunicorn (Feast, MLflow) start workers that outlive a SIGTERM to the
 * parent alone, so the group is killed once more after the exit.
 */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  signalGroup(child, 'SIGKILL');
}

/** The last lines of a log file ('' when it cannot be read), for an error message. */
export function tailFile(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * The long-lived children of a run (servers, load generators): each started detached in its own
 * process group with its output in a log file, and every group killed when the run ends, even
 * by Ctrl-C or an exception, so no server outlives the bench and holds its port or CPU.
 */
export class ProcessGroup {
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = () => this.killAllSync();
  private readonly onSignal = () => {
    this.killAllSync();
    process.exit(130);
  };

  constructor() {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Starts `command` detached, its stdout and stderr appended to `log`. */
  spawn(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; log: string }): ChildProcess {
    const out = createWriteStream(options.log);
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    this.track(child);
    return child;
  }

  /** Adds a child started elsewhere (e.g. a fork), to be killed with the rest. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** The pids of the running children (each the leader of its group when spawned here). */
  pids(): number[] {
    return [...this.children].map((c) => c.pid ?? -1);
  }

  async kill(child: ChildProcess): Promise<void> {
    await stopGroup(child);
    this.children.delete(child);
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.kill(c)));
  }

  /** For process exit, where nothing asynchronous runs any more. */
  killAllSync(): void {
    for (const c of this.children) signalGroup(c, 'SIGKILL');
    this.children.clear();
  }

  /** Removes the exit and signal handlers (after killAll). */
  dispose(): void {
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
