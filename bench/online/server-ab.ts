import { median } from '../support/stats';
import type { OtherCpu } from './cpu';
import type { LoadGenerator, LoadRequest, LoadResult } from './load-generator';
import type { LoadSettings } from './measurement';
import type { Server } from './servers';

/** One server of an A/B and the requests it is measured with. */
export interface AbTarget {
  readonly name: string;
  readonly server: Server;
  readonly requests: LoadRequest[];
}

/** One server's medians over the rounds. */
export interface AbRow {
  readonly target: string;
  readonly peakRps: number;
  readonly p50: number;
  readonly p99: number;
  readonly p99s: number[];
  readonly failed: number;
}

/**
 * Measures servers that run at once on the same data: every round measures each in turn, in a
 * rotating order (A B C, B C A, ...), so a burst of noise on the shared machine does not land on
 * one only. Peak req/s first; then latency at one common rate, half of the lowest median peak,
 * so every server is at or below half of its own peak. Each server's first request must answer
 * 200 (a server refusing them would measure errors).
 */
export async function measureAb(targets: readonly AbTarget[], load: LoadGenerator, cpu: OtherCpu, settings: LoadSettings, rounds: number): Promise<{ rows: AbRow[]; rate: number }> {
  for (const t of targets) await check(t);
  const peaks = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  const paced = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  const order = (round: number) => targets.map((_, i) => targets[(i + round) % targets.length]);
  for (let round = 0; round < rounds; round++) {
    for (const t of order(round)) {
      await cpu.waitQuiet();
      const peak = await load.peak(t.server.url, t.requests, { connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec });
      peaks.get(t.name)!.push(peak);
      console.error(`  round ${round + 1} ${t.name}: peak ${peak.rps} req/s (p99 ${peak.p99} ms)`);
    }
  }
  const rate = Math.max(1, Math.round(Math.min(...targets.map((t) => median(peaks.get(t.name)!.map((p) => p.rps)))) / 2));
  for (let round = 0; round < rounds; round++) {
    for (const t of order(round)) {
      await cpu.waitQuiet();
      const r = await load.paced(t.server.url, t.requests, { targetRps: rate, maxInstances: settings.pacedInstances, durationSec: settings.pacedSec });
      paced.get(t.name)!.push(r);
      console.error(`  round ${round + 1} ${t.name}: at ${r.rps} req/s p50 ${r.p50} ms, p99 ${r.p99} ms${r.non2xx + r.errors > 0 ? `, ${r.non2xx + r.errors} failed` : ''}`);
    }
  }
  const rows = targets.map((t) => {
    const p = paced.get(t.name)!;
    return {
      target: t.name,
      peakRps: median(peaks.get(t.name)!.map((x) => x.rps)),
      p50: median(p.map((x) => x.p50)),
      p99: median(p.map((x) => x.p99)),
      p99s: p.map((x) => x.p99),
      failed: [...peaks.get(t.name)!, ...p].reduce((n, x) => n + x.non2xx + x.errors, 0),
    };
  });
  return { rows, rate };
}

/** The table of an A/B's rows, in markdown. */
export function abTable(rows: readonly AbRow[]): string[] {
  return [
    '| target | median peak req/s | median p50 (ms) | median p99 (ms) | p99 of each round (ms) | failed requests |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    ...rows.map((r) => `| ${r.target} | ${r.peakRps} | ${r.p50} | ${r.p99} | ${r.p99s.join(', ')} | ${r.failed} |`),
  ];
}

async function check(t: AbTarget): Promise<void> {
  const r = t.requests[0];
  const res = await fetch(`${t.server.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body });
  if (res.status !== 200) throw new Error(`${t.name}: ${r.path} answered ${res.status} ${(await res.text()).slice(0, 300)}`);
}
