import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHash } from '@app/features';
import type { ProcessGroup } from '../../test/support/processes';
import { commandLine, machine, ratio, writeResults } from '../support/report';
import { median } from '../support/stats';
import type { OtherCpu } from './cpu';
import type { LoadGenerator, LoadRequest, LoadResult } from './load-generator';
import type { LoadSettings } from './measurement';
import { oursRequests, symbolSets } from './requests';
import { startApiServer, type Server } from './servers';

/*
 * Access control's cost on the lookup path (issue 14): the same data served by our API with auth
 * off, with auth on (a keys file, every request with a read key), and optionally by a baseline
 * build from before access control (--baseline-dist <dist folder of another checkout>). All servers
 * run at once on the same LMDB data; every round measures each of them in turn, in a rotating
 * order (A B C, B C A, ...), so a burst of noise on the shared machine does not land on one only.
 * Latency is compared at one common rate: half of the lowest median peak, so every server is at
 * or below half of its own peak.
 */

const KEY = 'fsk_bench_read_key_0123456789abcdefghijklmnop';

interface Target {
  readonly name: string;
  readonly server: Server;
  readonly requests: LoadRequest[];
  readonly peaks: LoadResult[];
  readonly paced: LoadResult[];
}

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
  const target = (name: string, server: Server, requests: LoadRequest[]): Target => ({ name, server, requests, peaks: [], paced: [] });
  const targets: Target[] = [
    target('auth off', await startApiServer(procs, 'ours-auth-off', dataDir, 'lmdb', logs), plain),
    target('auth on', await startApiServer(procs, 'ours-auth-on', dataDir, 'lmdb', logs, { env: { AUTH_KEYS_FILE: keysFile }, readyPath: '/health/live' }), keyed),
  ];
  if (o.baselineDist !== undefined) {
    const mainJs = join(o.baselineDist, 'apps', 'api', 'src', 'main.js');
    if (!existsSync(mainJs)) throw new Error(`--baseline-dist: ${mainJs} does not exist (build the baseline checkout first)`);
    targets.push(target('baseline build', await startApiServer(procs, 'ours-baseline', dataDir, 'lmdb', logs, { mainJs }), plain));
  }
  for (const t of targets) await check(t);

  const order = (round: number) => targets.map((_, i) => targets[(i + round) % targets.length]);
  for (let round = 0; round < o.rounds; round++) {
    for (const t of order(round)) {
      await cpu.waitQuiet();
      const peak = await load.peak(t.server.url, t.requests, { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec });
      t.peaks.push(peak);
      console.error(`  round ${round + 1} ${t.name}: peak ${peak.rps} req/s (p99 ${peak.p99} ms)`);
    }
  }
  const rate = Math.max(1, Math.round(Math.min(...targets.map((t) => median(t.peaks.map((p) => p.rps)))) / 2));
  for (let round = 0; round < o.rounds; round++) {
    for (const t of order(round)) {
      await cpu.waitQuiet();
      const paced = await load.paced(t.server.url, t.requests, { targetRps: rate, maxInstances: settings.pacedInstances, durationSec: settings.pacedSec });
      t.paced.push(paced);
      console.error(`  round ${round + 1} ${t.name}: at ${paced.rps} req/s p50 ${paced.p50} ms, p99 ${paced.p99} ms${paced.non2xx + paced.errors > 0 ? `, ${paced.non2xx + paced.errors} failed` : ''}`);
    }
  }

  const rows = targets.map((t) => ({
    target: t.name,
    peakRps: median(t.peaks.map((p) => p.rps)),
    p50: median(t.paced.map((p) => p.p50)),
    p99: median(t.paced.map((p) => p.p99)),
    p99s: t.paced.map((p) => p.p99),
    failed: [...t.peaks, ...t.paced].reduce((n, r) => n + r.non2xx + r.errors, 0),
  }));
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
    '| target | median peak req/s | median p50 (ms) | median p99 (ms) | p99 of each round (ms) | failed requests |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    ...rows.map((r) => `| ${r.target} | ${r.peakRps} | ${r.p50} | ${r.p99} | ${r.p99s.join(', ')} | ${r.failed} |`),
    '',
    `p99 auth on / auth off: **${p99Ratio}** (goal <= 1.1: ${result.goal.met ? 'met' : '**not met**'}); peak on / off: ${result.ratios.peakOnVsOff}${baseline ? `; p99 auth on / baseline: ${result.ratios.p99OnVsBaseline}, auth off / baseline: ${result.ratios.p99OffVsBaseline}` : ''}.`,
  ].join('\n');
  writeResults('online-auth', result, md);
  for (const t of targets) await procs.kill(t.server.child);
  return p99Ratio;
}

/** A server that refuses the requests would measure 401s: check one answer first. */
async function check(t: Target): Promise<void> {
  const r = t.requests[0];
  const res = await fetch(`${t.server.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
  if (res.status !== 200) throw new Error(`${t.name}: ${r.path} answered ${res.status} ${(await res.text()).slice(0, 300)}`);
}
