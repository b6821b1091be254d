import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BENCH_DIR = resolve(__dirname);
export const CACHE_DIR = join(BENCH_DIR, '.cache');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** Wall time of one async call, in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

/** Samples this process's RSS every 50 ms while `work` runs; returns the peak in MiB. */
export async function peakRss<T>(work: () => Promise<T>): Promise<{ peakMiB: number; value: T }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const value = await work();
    return { peakMiB: Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576), value };
  } finally {
    clearInterval(timer);
  }
}

/** Writes `<name>.json` and `<name>.md` to bench/results/. */
export function writeResults(name: string, json: unknown, markdown: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), `${markdown}\n`);
  console.log(markdown);
}

export function machine(): Record<string, unknown> {
  const os = require('node:os') as typeof import('node:os');
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

/** Parses `--key value` pairs. */
export function options(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) if (args[i].startsWith('--')) out[args[i].slice(2)] = args[i + 1] ?? 'true';
  return out;
}
