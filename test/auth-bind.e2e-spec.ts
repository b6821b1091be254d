import { spawn } from 'node:child_process';
import { ROOT, tempDataDir } from './support/helpers';
import { expectEventually } from './support/wait';

// The real entry point (apps/api/src/main.ts) as a child process: the bind policy decides before
// anything listens.
describe('Access control: the safe default bind', () => {
  const startMain = (env: Record<string, string>) => {
    const tmp = tempDataDir('fs-auth-bind-');
    const child = spawn('node', ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, AUTH_KEYS_FILE: '', DATA_DIR: tmp.dir, BOOTSTRAP: 'false', PORT: '0', LOG_LEVEL: 'log', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { child, exited, output: () => output, cleanup: tmp.cleanup };
  };

  it('HOST=0.0.0.0 without a keys file refuses to start, naming the way out', async () => {
    const run = startMain({ HOST: '0.0.0.0', AUTH: '' });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/HOST=0\.0\.0\.0: refusing to serve without authentication.*AUTH_KEYS_FILE.*AUTH=off/);
    } finally {
      run.cleanup();
    }
  });

  it('AUTH=off starts on 0.0.0.0 and logs that it is unauthenticated', async () => {
    const run = startMain({ HOST: '0.0.0.0', AUTH: 'off' });
    try {
      await expectEventually(() => expect(run.output()).toMatch(/reachable on 0\.0\.0\.0/), 60_000, 200);
      expect(run.output()).toMatch(/access control off/);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
      run.cleanup();
    }
  });
});
