import { spawn, type ChildProcess } from 'node:child_process';
import { tempDataDir } from './helpers';
import { freePort } from './ports';
import { hasExited } from './processes';

/** A real redis-server on a free local port, with its own folder; can be stopped and started again. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM: it writes its append-only file first). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  close(): Promise<void>;
  /** The running server process, for a caller that kills its children on exit (the online bench). */
  process(): ChildProcess | null;
}

export interface RedisOptions {
  /**
   * Writes every command to its append-only file before answering (default true), so a test can
   * restart it and find the data; a bench turns it off to measure the store, not the disk.
   */
  readonly appendOnly?: boolean;
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const persistence = options.appendOnly === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];
  const port = await freePort();
  const tmp = tempDataDir('fs-redis-');
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp.dir, '--save', '', ...persistence], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || hasExited(running)) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    start,
    stop,
    process: () => child,
    async close() {
      await stop();
      tmp.cleanup();
    },
  };
}
