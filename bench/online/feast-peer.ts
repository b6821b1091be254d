import { join } from 'node:path';
import { freePort } from '../../test/support/ports';
import type { ProcessGroup } from '../../test/support/processes';
import { feastCommand, feastPython, runFeastScript } from '../feast/feast-python';
import { CACHE_DIR } from '../support/cache';
import { SERVICE, benchViews } from './bench-catalog';
import { waitForServer, type Server } from './servers';

export interface FeastSetup {
  feast: string;
  rows: Record<string, number>;
  applyMs: number;
  writeMs: number;
}

/** How `feast serve` runs: access log and worker recycling off, to give Feast its best throughput. */
export const FEAST_SERVE_ARGS = 'feast serve --no-access-log -w N --max-requests 0 --registry_ttl_sec 3600';

/**
 * The Feast peer: a Feast repo with the same 5 views / 50 features and a feature service of the
 * 50, whose Redis online store (the same redis-server, db 1) holds the same latest rows, read
 * from our offline Parquet files (bench/feast/online_feast_repo.py).
 */
export class FeastPeer {
  private static readonly repo = join(CACHE_DIR, 'online-feast-repo');

  private constructor(
    private readonly python: string,
    readonly setup: FeastSetup,
  ) {}

  static build(dataDir: string, redisPort: number): FeastPeer {
    const python = feastPython();
    const viewsSpec = Object.fromEntries(benchViews().map((v) => [v.name, v.features.map((f) => f.name)]));
    const setup = runFeastScript<FeastSetup>(python, 'online_feast_repo.py', [
      '--repo', FeastPeer.repo,
      '--offline', join(dataDir, 'offline'),
      '--views', JSON.stringify(viewsSpec),
      '--service', SERVICE,
      '--redis', `127.0.0.1:${redisPort},db=1`,
      '--ttl-days', '30',
    ]);
    return new FeastPeer(python, setup);
  }

  /** `feast serve` with `workers` gunicorn workers, answering GET /health. */
  async serve(procs: ProcessGroup, workers: number, logs: string): Promise<Server> {
    const port = await freePort();
    const log = join(logs, `feast-serve-w${workers}.log`);
    const args = ['-c', FeastPeer.repo, 'serve', '-h', '127.0.0.1', '-p', String(port), '--no-access-log', '-w', String(workers), '--max-requests', '0', '--registry_ttl_sec', '3600'];
    const child = procs.spawn(feastCommand(this.python), args, { cwd: FeastPeer.repo, env: { ...process.env, PYTHONWARNINGS: 'ignore' }, log });
    const url = `http://127.0.0.1:${port}`;
    await waitForServer(`${url}/health`, child, 'feast serve', log, 120_000);
    return { child, url };
  }
}
