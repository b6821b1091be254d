import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHash } from '@app/features';
import type { ProcessGroup } from '../../test/support/processes';
import { commandLine, machine, ratio, writeResults } from '../support/report';
import type { OtherCpu } from './cpu';
import type { LoadGenerator } from './load-generator';
import type { LoadSettings } from './measurement';
import { oursRequests, symbolSets } from './requests';
import { abTable, measureAb, type AbTarget } from './server-ab';
import { startApiServer } from './servers';

/*
 * Access control's cost on the lookup path (issue 14): the same data served by our API with auth
 * off, with auth on (a keys file, every request with a read key), and optionally by a baseline
 * build from before access control (--baseline-dist <dist folder of another checkout>). All servers
 * run at once on the same LMDB data, measured as server-ab.ts describes.
 */

const KEY = 'fsk_bench_read_key_0123456789abcdefghijklmnop';

export interface AuthAbOptions {
  readonly rounds: number;
  readonly symbols: number;
  readonly baselineDist?: string;
  readonly args: readonly string[];
}

/** Runs the A/B and writes bench/results/online-auth.{json,md}; answers the p99 ratio on/off. */
export async function runAuthAb(procs: ProcessGroup, load: LoadGenerator, cpu: OtherCpu, settings: LoadSettings, dataDir: string, logs: string, o: AuthAbOptions): Promise<number> {
  const keysFile = join(logs, 'bench-keys.json');
  writeFileSync(keysFile, JSON.stringify([{ id: 'bench', keyHash: keyHash(KEY), scopes: ['read'] }]));
  const plain = oursRequests(symbolSets(o.symbols, 1, 512, 1));
  const keyed = plain.map((r) => ({ ...r, headers: { ...r.headers, authorization: `Bearer ${KEY}` } }));
  const targets: AbTarget[] = [
    { name: 'auth off', server: await startApiServer(procs, 'ours-auth-off', dataDir, 'lmdb', logs), requests: plain },
    { name: 'auth on', server: await startApiServer(procs, 'ours-auth-on', dataDir, 'lmdb', logs, { env: { AUTH_KEYS_FILE: keysFile }, readyPath: '/health/live' }), requests: keyed },
  ];
  if (o.baselineDist !== undefined) {
    const mainJs = join(o.baselineDist, 'apps', 'api', 'src', 'main.js');
    if (!existsSync(mainJs)) throw new Error(`--baseline-dist: ${mainJs} does not exist (build the baseline checkout first)`);
    targets.push({ name: 'baseline build', server: await startApiServer(procs, 'ours-baseline', dataDir, 'lmdb', logs, { mainJs }), requests: plain });
  }
  const { rows, rate } = await measureAb(targets, load, cpu, settings, o.rounds);
  const [off, on, baseline] = rows;
  const p99Ratio = ratio(on.p99, off.p99);
  const result = {
    command: commandLine('online', o.args),
    date: new Date().toISOString(),
    machine: machine(),
    route: 'POST /v1/online-features, 1 symbol x 50 features (feature service), LMDB',
    rounds: o.rounds,
    commonRate: rate,
    settings,
    rows,
    ratios: { p99OnVsOff: p99Ratio, peakOnVsOff: ratio(on.peakRps, off.peakRps), ...(baseline ? { p99OnVsBaseline: ratio(on.p99, baseline.p99), p99OffVsBaseline: ratio(off.p99, baseline.p99) } : {}) },
    goal: { goal: 'p99 at half load, auth on / auth off', value: p99Ratio, target: '<= 1.1', met: p99Ratio <= 1.1 },
  };
  const md = [
    `# Online lookups with access control on and off (${result.date})`,
    '',
    `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}.`,
    '',
    `${result.route}. Servers of this tree's build on the same data, at once: auth off (no keys file), auth on (a keys file; every request carries \`Authorization: Bearer\` with a read key)${baseline ? `, and the baseline build (${o.baselineDist})` : ''}. ${o.rounds} rounds; each round measures every server in a rotating order. Peak: ${settings.connections} connections, ${settings.warmupSec} s warm-up, ${settings.durationSec} s. Latency: all at one rate, ${rate} req/s (half of the lowest median peak), ${settings.pacedSec} s per measurement. Medians over the rounds.`,
    '',
    ...abTable(rows),
    '',
    `p99 auth on / auth off: **${p99Ratio}** (goal <= 1.1: ${result.goal.met ? 'met' : '**not met**'}); peak on / off: ${result.ratios.peakOnVsOff}${baseline ? `; p99 auth on / baseline: ${result.ratios.p99OnVsBaseline}, auth off / baseline: ${result.ratios.p99OffVsBaseline}` : ''}.`,
  ].join('\n');
  writeResults('online-auth', result, md);
  for (const t of targets) await procs.kill(t.server.child);
  return p99Ratio;
}
