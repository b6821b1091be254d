import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { tempDataDir } from './helpers';
import { freePort } from './ports';
import { hasExited } from './processes';

/** A throwaway PostgreSQL server (Debian's binaries) on a free local port, in its own folder. */
export interface TestPostgres {
  /** postgres://… of the database created at start. */
  readonly url: string;
  readonly port: number;
  /** A URL of a new, empty database on the same server. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: open sessions are ended). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops and starts it. */
  restart(): Promise<void>;
  /** Stops it for good and removes its folder. */
  close(): Promise<void>;
}

/** The folder of initdb and postgres: on PATH, else the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql: run scripts/ensure-postgres.sh');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

// PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
const asRoot = process.getuid?.() === 0;
const command = (bin: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]);

/** initdb into a temp folder and a server on 127.0.0.1 with a database `registry` (trust auth: a test server). */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const tmp = tempDataDir('fs-pg-');
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(ids.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(tmp.dir, uid, gid);
  }
  const data = join(tmp.dir, 'data');
  const [initCmd, initArgs] = command(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}${init.stdout}`);

  let child: ChildProcess | null = null;
  const admin = (db = 'postgres') => new Client({ host: '127.0.0.1', port, user: 'postgres', database: db, connectionTimeoutMillis: 2000 });
  const start = async () => {
    const [cmd, args] = command(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', tmp.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200']);
    const started = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let out = '';
    started.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    started.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (hasExited(started)) throw new Error(`postgres exited: ${out}`);
      const c = admin();
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || hasExited(running)) return;
    // Signal the postmaster itself (runuser in between would not pass a signal on reliably).
    const pidFile = join(data, 'postmaster.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : running.pid;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      try {
        process.kill(pid!, 'SIGINT');
      } catch {
        resolve();
      }
    });
  };
  const createDatabase = async (name: string) => {
    const c = admin();
    await c.connect();
    try {
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    } finally {
      await c.end();
    }
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };
  await start();
  const url = await createDatabase('registry');
  return {
    url,
    port,
    createDatabase,
    start,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      await stop();
      tmp.cleanup();
    },
  };
}
