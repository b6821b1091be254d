import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';

export const RESULTS_DIR = resolve(__dirname, '..', 'results');

/** Writes `<name>.json` and `<name>.md` to bench/results/ and prints the Markdown. */
export function writeResults(name: string, json: unknown, markdown: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), `${markdown}\n`);
  console.log(markdown);
}

/** The machine a result was measured on, recorded with every result. */
export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

/** The command that reproduces a run, as recorded in its result. */
export function commandLine(bench: string, args: readonly string[]): string {
  return `npm run bench -- ${bench} ${args.join(' ')}`.trim();
}

/** A ratio rounded to two decimals, as the results report them. */
export function ratio(a: number, b: number): number {
  return Number((a / b).toFixed(2));
}
