import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../test/support/helpers';

/**
 * The Python that has Feast (scripts/ensure-feast.sh installs it once into a venv and prints the
 * interpreter's path last), so both Feast peers run the version the comparison names.
 */
export function feastPython(): string {
  return execFileSync('bash', [join(ROOT, 'scripts', 'ensure-feast.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
}

/** The `feast` command of that venv. */
export function feastCommand(python: string): string {
  return join(python, '..', 'feast');
}

/**
 * Runs one of the bench's Feast scripts (bench/feast/*.py) and parses the JSON line it prints
 * last (Feast logs above it). A failure throws with the script's stderr.
 */
export function runFeastScript<T>(python: string, script: string, args: readonly string[]): T {
  const stdout = execFileSync(python, [join(__dirname, script), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}
