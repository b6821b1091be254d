import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDataDir } from './support/helpers';
import { freePort } from './support/ports';
import { collectOutput, hasExited, stopGroup } from './support/processes';
import { waitFor } from './support/wait';

// Nest colours its lines even into a pipe.
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('the API start-up: one summary instead of the route list', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let child: ChildProcess;
  let output: () => string;
  let port: number;

  beforeAll(async () => {
    tmp = tempDataDir();
    port = await freePort();
    // main.ts as `npm start` runs it (compiled on the fly instead of from dist).
    child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: tmp.dir, PORT: String(port), HOST: '127.0.0.1', BOOTSTRAP: 'true', BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '30', SAMPLES_DIR: join(ROOT, 'data', 'samples'), LOG_LEVEL: 'log' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output = collectOutput(child);
    await waitFor(() => (hasExited(child) ? Promise.reject(new Error(`the API exited:\n${output()}`)) : /try: curl/.test(output())), { timeoutMs: 90_000, what: 'the start-up summary' });
  }, 120_000);
  afterAll(async () => {
    await stopGroup(child);
    tmp.cleanup();
  });

  it('logs the URL, datasets, views, materialised versions and online store as the API itself reports them', async () => {
    const log = plain(output());
    const base = `http://127.0.0.1:${port}`;
    expect(log).toContain(`ready at ${base} (DATA_DIR=${tmp.dir})`);
    const datasets = (await (await fetch(`${base}/v1/datasets`)).json()) as Array<{ name: string; rows: number }>;
    expect(datasets.length).toBeGreaterThan(0);
    for (const d of datasets) expect(log).toMatch(new RegExp(`datasets: .*${d.name} \\(${d.rows} rows, `));
    const views = (await (await fetch(`${base}/v1/feature-views`)).json()) as Array<{ name: string; version: number }>;
    const line = (name: string) => log.split('\n').find((l) => l.trim().startsWith(`${name}:`)) ?? '';
    expect(line('feature views').replace(/^.*feature views: /, '').split(', ').sort()).toEqual(views.map((v) => `${v.name}@${v.version}`).sort());
    const materialised: string[] = [];
    for (const v of views) {
      const detail = (await (await fetch(`${base}/v1/feature-views/${v.name}`)).json()) as { versions: Array<{ version: number; materialized: { end: string } | null }> };
      for (const m of detail.versions) if (m.materialized) materialised.push(`${v.name}@${m.version} to ${m.materialized.end.slice(0, 10)}`);
    }
    expect(materialised.length).toBe(views.length);
    expect(line('materialised').replace(/^.*materialised: /, '').split(', ').sort()).toEqual(materialised.sort());
    expect(line('online store')).toContain(`lmdb (${tmp.dir}/online)`);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    // Nest's per-route lines are gone.
    expect(log).not.toMatch(/Mapped \{|RoutesResolver|RouterExplorer|InstanceLoader/);
  });
});
