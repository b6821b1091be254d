import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { keyHash, type ApiKeyEntry } from '@app/features';
import { createApi } from '../apps/api/src/server';
import { ROOT, tempDataDir, testConfig } from './support/helpers';
import { MlflowServer } from './support/mlflow.server';
import { startTestApi, type TestApi } from './support/test-api';

const READ_KEY = 'pyclient-read-key-1';

/** Runs a command to its end without blocking the event loop (the API under test runs in this process). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * The Python client's pytest suite (clients/python/tests) against the real API with the sample
 * data, a real MLflow tracking server the API logs lineage to, and a second API with access
 * control on. pytest's own output is the failure message.
 */
describe('the Python client (pytest clients/python/tests) against the real API and MLflow', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let mlflow: MlflowServer;
  let api: TestApi;
  let authApi: NestFastifyApplication;
  let authUrl: string;

  beforeAll(async () => {
    tmp = tempDataDir();
    mlflow = new MlflowServer(tmp.dir);
    const trackingUri = await mlflow.start();
    // The MLflow model tests score SYN0001..SYN0004 up to 200 days back.
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '5', BOOTSTRAP_DAYS: '400', MLFLOW_TRACKING_URI: trackingUri, LINEAGE_RETRY_SECONDS: '1' });
    const keysFile = join(tmp.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify([{ id: 'reader', keyHash: keyHash(READ_KEY), scopes: ['read'] }] satisfies ApiKeyEntry[]));
    // With the sample data: a served model reads SYN0001 online through it with the read key.
    ({ app: authApi } = await createApi(testConfig(join(tmp.dir, 'auth-data'), { AUTH_KEYS_FILE: keysFile, BOOTSTRAP: 'true', SAMPLES_DIR: join(ROOT, 'data', 'samples'), BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '60' })));
    await authApi.listen(0, '127.0.0.1');
    authUrl = await authApi.getUrl();
  }, 240_000);

  afterAll(async () => {
    await authApi?.close();
    await api?.stop();
    await mlflow?.stop();
    tmp?.cleanup();
  });

  it('passes, with no test skipped', async () => {
    const { FEATURE_STORE_API_KEY: _key, ...inherited } = process.env;
    const env = {
      ...inherited,
      FEATURE_STORE_URL: api.base,
      MLFLOW_TRACKING_URI: mlflow.url,
      FEATURE_STORE_AUTH_URL: authUrl,
      FEATURE_STORE_READ_KEY: READ_KEY,
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const { code, output } = await run('python3', ['-m', 'pytest', 'clients/python/tests', '-q', '-rfEs', '-p', 'no:cacheprovider', '--color=no'], env);
    if (code !== 0) throw new Error(`pytest clients/python/tests failed (exit ${code}):\n${output}`);
    const summary = output.trim().split('\n').pop() ?? '';
    expect(summary).toMatch(/^\d+ passed/);
    expect(summary).not.toMatch(/skipped|xfail|error/);
  }, 600_000);
});
