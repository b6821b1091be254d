import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../test/support/helpers';
import { freePort } from '../../test/support/ports';
import { hasExited, tailFile, type ProcessGroup } from '../../test/support/processes';
import { answersOk, waitFor } from '../../test/support/wait';

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

/** The built API (dist/, as `npm start` runs it), so the figures are those of production code. */
export const API_MAIN_JS = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');

/** Waits until `url` answers 2xx; fails with the log's tail as soon as the server exits. */
export async function waitForServer(url: string, child: ChildProcess, what: string, log: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    async () => {
      if (hasExited(child)) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}); log ${log}:\n${tailFile(log)}`);
      return answersOk(url);
    },
    { timeoutMs, everyMs: 200, what: () => `${what} to answer ${url}; log ${log}:\n${tailFile(log)}` },
  );
}

/** What differs between our API servers of one run: extra environment, another build, the readiness route. */
export interface ApiServerOptions {
  readonly env?: Record<string, string>;
  /** Another build's main.js (e.g. a baseline commit's dist/), instead of this tree's. */
  readonly mainJs?: string;
  /** `/health` needs a key when AUTH_KEYS_FILE is set: such a server is polled on `/health/live`. */
  readonly readyPath?: string;
}

/**
 * Our API server on `dataDir` with the given online store. BENCH_SERVER_NODE_ARGS passes node
 * flags to it (for tuning experiments; the committed figures use none).
 */
export async function startApiServer(procs: ProcessGroup, name: string, dataDir: string, onlineStore: string, logs: string, options: ApiServerOptions = {}): Promise<Server> {
  const port = await freePort();
  const log = join(logs, `${name}.log`);
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = procs.spawn(process.execPath, [...nodeArgs, options.mainJs ?? API_MAIN_JS], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, BOOTSTRAP: 'false', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', ONLINE_STORE: onlineStore, NODE_ENV: 'production', ...options.env },
    log,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForServer(`${url}${options.readyPath ?? '/health'}`, child, name, log);
  return { child, url };
}
