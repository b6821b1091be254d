import { ratio } from '../support/report';
import { SERVICE } from './bench-catalog';
import type { Comparison } from './compare-answers';
import type { LoadSettings, Scenario } from './measurement';

export interface Goal {
  goal: string;
  value: number;
  target: string;
  met: boolean;
  detail: string;
}

/** The scenarios the goals and ratios refer to. */
export interface KeyScenarios {
  trivial: Scenario;
  lmdb1: Scenario;
  lmdb100: Scenario;
  redis1: Scenario;
  redis100: Scenario;
  /** Feast's best worker count for each request size. */
  feast1: Scenario;
  feast100: Scenario;
  feastWorkers1: number;
}

export interface OnlineResult {
  command: string;
  date: string;
  machine: Record<string, unknown>;
  loadAverageAtStart: number[];
  loadGenerator: string;
  data: { symbols: number; days: number; endDate: string; views: number; features: number; service: string; dataDir: string; redisMaterialiseMs: number };
  settings: LoadSettings & { feastWorkersTried: number[] };
  feast: { version: string; setup: unknown; bestWorkers1x50: number; bestWorkers100x50: number; serveArgs: string; checks: Array<{ workers: number } & Comparison> };
  checks: { lmdbVsRedis: Comparison };
  scenarios: Scenario[];
  goals: Goal[];
}

/** The issue's goals for online serving, against the trivial route and against Feast. */
export function goals(k: KeyScenarios): Goal[] {
  const small = [['LMDB', k.lmdb1], ['Redis', k.redis1]] as const;
  const large = [['LMDB', k.lmdb100], ['Redis', k.redis100]] as const;
  return [
    ...small.map(([b, s]) => ({ goal: `${b} 1 x 50 peak >= 0.5 x trivial route`, value: ratio(s.peak.rps, k.trivial.peak.rps), target: '>= 0.5', met: s.peak.rps >= 0.5 * k.trivial.peak.rps, detail: `${s.peak.rps} / ${k.trivial.peak.rps} req/s` })),
    ...small.map(([b, s]) => ({ goal: `${b} 1 x 50 peak >= 10 x Feast's`, value: ratio(s.peak.rps, k.feast1.peak.rps), target: '>= 10', met: s.peak.rps >= 10 * k.feast1.peak.rps, detail: `${s.peak.rps} / ${k.feast1.peak.rps} req/s (Feast ${k.feastWorkers1} worker(s))` })),
    ...large.map(([b, s]) => ({ goal: `${b} 100 x 50 p99 < 0.5 x Feast's p99 (each at half its peak)`, value: ratio(s.paced!.p99, k.feast100.paced!.p99), target: '< 0.5', met: s.paced!.p99 < 0.5 * k.feast100.paced!.p99, detail: `${s.paced!.p99} / ${k.feast100.paced!.p99} ms` })),
    ...large.map(([b, s]) => ({ goal: `${b} 100 x 50 p99 < 0.5 x Feast's p99 (each at its peak)`, value: ratio(s.peak.p99, k.feast100.peak.p99), target: '< 0.5', met: s.peak.p99 < 0.5 * k.feast100.peak.p99, detail: `${s.peak.p99} / ${k.feast100.peak.p99} ms` })),
    ...small.map(([b, s]) => ({ goal: `${b} 1 x 50 p99 <= 2 ms at half of peak`, value: s.paced!.p99, target: '<= 2 ms', met: s.paced!.p99 <= 2, detail: `at ${s.paced!.rps} req/s` })),
    ...large.map(([b, s]) => ({ goal: `${b} 100 x 50 p99 <= 10 ms at half of peak`, value: s.paced!.p99, target: '<= 10 ms', met: s.paced!.p99 <= 10, detail: `at ${s.paced!.rps} req/s` })),
  ];
}

/** Three significant figures or so: a latency table that reads at a glance. */
function fmt(x: number | undefined): string {
  if (x === undefined || x === null || Number.isNaN(x)) return '';
  return x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function markdown(result: OnlineResult, k: KeyScenarios): string {
  const { trivial, feast1, feast100 } = k;
  const feastOfSize = (s: Scenario) => (s.entities === 1 ? feast1 : s.entities === 100 ? feast100 : null);
  const vsTrivial = (s: Scenario) => (s.entities === 0 ? '1' : (s.peak.rps / trivial.peak.rps).toFixed(2));
  const vsFeast = (s: Scenario) => {
    if (s.server.startsWith('feast')) return '';
    const f = feastOfSize(s);
    return f ? `${(s.peak.rps / f.peak.rps).toFixed(1)}x` : '';
  };
  const p99VsFeast = (s: Scenario) => {
    if (s.server.startsWith('feast') || !s.paced) return '';
    const f = feastOfSize(s);
    return f?.paced ? (s.paced.p99 / f.paced.p99).toFixed(3) : '';
  };
  const s = result.settings;
  const lines = [
    `# Online serving benchmark (${result.date})`,
    '',
    `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}; load average (1, 5, 15 min) when the bench started: ${result.loadAverageAtStart.join(', ')}.`,
    '',
    `Data: ${result.data.symbols} synthetic symbols x ${result.data.days} daily bars ending ${String(result.data.endDate).slice(0, 10)}, ${result.data.views} feature views x 10 DOUBLE features, feature service \`${SERVICE}\` (50 features), materialised into the embedded LMDB store and into a real redis-server (db 0). Feast ${result.feast.version}: the same 5 views / 50 features and a feature service of the 50, Redis online store (same redis-server, db 1) holding the same latest rows (read from our offline Parquet files, written with \`write_to_online_store\`), served by \`${result.feast.serveArgs}\` (gunicorn + uvicorn workers; access log off and worker recycling off, to give Feast its best throughput). Before measuring, our LMDB and Redis answers and Feast's were compared value by value for ${result.checks.lmdbVsRedis.symbols} symbols (one unknown): LMDB vs Redis ${result.checks.lmdbVsRedis.differing} of ${result.checks.lmdbVsRedis.valuesCompared} values differ; ours vs Feast ${result.feast.checks.map((c) => `(${c.workers} worker${c.workers > 1 ? 's' : ''}) ${c.differing} of ${c.valuesCompared} differ, max relative difference ${c.maxRelDiff}`).join('; ')}.`,
    '',
    `Load: ${result.loadGenerator}; it shares the 2 cores with the server under test (and with redis-server for the Redis targets), so every figure is lower than with a separate load machine, and the trivial route is capped by the load generator as much as by the server. Peak: ${s.connections} connections (${s.connections100} for 100 x 50), closed loop, ${s.warmupSec} s warm-up then ${s.durationSec} s measured. "At half load": the rate capped at half of that target's own peak with autocannon's \`overallRate\`, split over ${s.pacedInstances} autocannon instances of one connection each started 1000/${s.pacedInstances} ms apart (autocannon's rate cap sends each connection's per-second quota back to back at the start of every second, so a single capped instance would measure one-second bursts, not an even load), ${s.pacedSec} s. Latencies are every 2xx response's own time (sent to fully read, microsecond resolution, no coordinated-omission fill-in); autocannon's own histogram has 1 ms resolution. 1 x 50: a body with 1 random symbol of ${result.data.symbols}, 512 different bodies in rotation; 100 x 50: 100 distinct random symbols, 256 different bodies.`,
    '',
    '| target | route | peak req/s | p50 / p99 at peak (ms) | req/s at half load | p50 at half load (ms) | p99 at half load (ms) | peak vs trivial | peak vs Feast | p99 (half load) vs Feast | other processes\' CPU, % of a core (peak / half load) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.scenarios.map(
      (x) =>
        `| ${x.label} | ${x.route} | ${x.peak.rps} | ${fmt(x.peak.p50)} / ${fmt(x.peak.p99)} | ${x.paced ? x.paced.rps : ''} | ${fmt(x.paced?.p50)} | ${fmt(x.paced?.p99)} | ${vsTrivial(x)} | ${vsFeast(x)} | ${p99VsFeast(x)} | ${x.otherCpuPct ? `${x.otherCpuPct.peak}${x.otherCpuPct.paced !== undefined ? ` / ${x.otherCpuPct.paced}` : ''}` : ''} |${x.note ? ` ${x.note}` : ''}`,
    ),
    '',
    'The last column is the CPU time that processes outside this bench (e.g. other test runs on the shared machine) used during each measurement, in percent of one core (of 200%); before each target the bench waited for them to use under 15% for 2 s (up to --quiet-wait seconds). Figures measured while others used a lot of CPU understate both servers.',
    '',
    `Feast's best worker count on this machine: ${result.feast.bestWorkers1x50} for 1 x 50, ${result.feast.bestWorkers100x50} for 100 x 50 (the half-load rows and the ratios use those).`,
    '',
    '## Goals',
    '',
    '| goal | value | target | met | figures |',
    '| --- | ---: | --- | --- | --- |',
    ...result.goals.map((g) => `| ${g.goal} | ${g.value} | ${g.target} | ${g.met ? 'yes' : '**no**'} | ${g.detail} |`),
  ];
  return lines.join('\n');
}
