import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDataDir } from './helpers';

/**
 * Feast's own Python SDK (remote online store pointed at our API at `base`), through
 * test/feast/feast_client_check.py; its JSON report. Asynchronous: the API under test runs in the
 * test's process and must keep answering the SDK.
 */
export async function feastSdk(base: string, args: string[]): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const python = execFileSync('bash', [join(ROOT, 'scripts', 'ensure-feast.sh')], { encoding: 'utf8' }).trim();
  const repo = tempDataDir('fs-feast-');
  try {
    const child = spawn(python, [join(ROOT, 'test', 'feast', 'feast_client_check.py'), '--url', base, '--repo-dir', repo.dir, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (!stdout) throw new Error(`feast_client_check.py failed (${code}): ${stderr}`);
    return JSON.parse(stdout);
  } finally {
    repo.cleanup();
  }
}
