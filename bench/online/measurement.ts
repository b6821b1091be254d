import type { OtherCpu } from './cpu';
import type { LoadGenerator, LoadRequest, LoadResult } from './load-generator';

/** One target and route under load: its peak and its latency at half that peak. */
export interface Scenario {
  id: string;
  label: string;
  server: string;
  route: string;
  entities: number;
  features: number;
  peak: LoadResult;
  paced?: LoadResult;
  pacedTargetRps?: number;
  /** Percent of one core used by other processes on the machine during the peak / paced measurement. */
  otherCpuPct?: { peak: number; paced?: number; waitedSec: number };
  note?: string;
}

export interface LoadSettings {
  readonly connections: number;
  /** For 100-entity requests (see --connections-100). */
  readonly connections100: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly pacedSec: number;
  readonly pacedInstances: number;
}

/** Measures scenarios one after the other, each once the machine is quiet, and keeps them in order. */
export class Measurer {
  readonly scenarios: Scenario[] = [];

  constructor(
    private readonly load: LoadGenerator,
    private readonly cpu: OtherCpu,
    readonly settings: LoadSettings,
  ) {}

  /** Peak, then (unless `withPaced` is false) latency at half of that peak. */
  async measure(s: Omit<Scenario, 'peak' | 'paced'>, url: string, requests: LoadRequest[], withPaced = true): Promise<Scenario> {
    const { connections, connections100, warmupSec, durationSec, pacedSec } = this.settings;
    console.error(`measuring ${s.label} …`);
    const waitedSec = await this.cpu.waitQuiet();
    const p = await this.cpu.during(() => this.load.peak(url, requests, { connections: s.entities >= 100 ? connections100 : connections, warmupSec, durationSec }), warmupSec + durationSec);
    const scenario: Scenario = { ...s, peak: p.value, otherCpuPct: { peak: p.other, waitedSec } };
    if (withPaced) {
      scenario.pacedTargetRps = Math.max(1, Math.round(p.value.rps / 2));
      const q = await this.cpu.during(() => this.paced(url, requests, scenario.pacedTargetRps!), pacedSec);
      scenario.paced = q.value;
      scenario.otherCpuPct!.paced = q.other;
    }
    const bad = p.value.non2xx + p.value.errors + (scenario.paced ? scenario.paced.non2xx + scenario.paced.errors : 0);
    if (bad > 0) scenario.note = `${bad} failed requests (non-2xx or errors)`;
    console.error(`  [others used ${JSON.stringify(scenario.otherCpuPct)}% of a core] peak ${p.value.rps} req/s (p50 ${p.value.p50} ms, p99 ${p.value.p99} ms)${scenario.paced ? `; at ${scenario.paced.rps} req/s p50 ${scenario.paced.p50} ms, p99 ${scenario.paced.p99} ms` : ''}${scenario.note ? `; ${scenario.note}` : ''}`);
    this.scenarios.push(scenario);
    return scenario;
  }

  /**
   * Latency at half of an already measured peak, on a freshly started server (warmed up first
   * with a short closed-loop run): Feast's peak and half load are measured on separate servers.
   */
  async atHalfLoad(s: Scenario, url: string, requests: LoadRequest[]): Promise<void> {
    const { connections, warmupSec, durationSec, pacedSec } = this.settings;
    await this.load.peak(url, requests.slice(0, 8), { connections: Math.min(connections, 8), warmupSec, durationSec });
    s.pacedTargetRps = Math.max(1, Math.round(s.peak.rps / 2));
    console.error(`measuring ${s.label} at ${s.pacedTargetRps} req/s …`);
    await this.cpu.waitQuiet();
    const q = await this.cpu.during(() => this.paced(url, requests, s.pacedTargetRps!), pacedSec);
    s.paced = q.value;
    s.otherCpuPct = { ...(s.otherCpuPct ?? { peak: 0, waitedSec: 0 }), paced: q.other };
    console.error(`  at ${s.paced.rps} req/s p50 ${s.paced.p50} ms, p99 ${s.paced.p99} ms`);
  }

  private paced(url: string, requests: LoadRequest[], targetRps: number): Promise<LoadResult> {
    return this.load.paced(url, requests, { targetRps, maxInstances: this.settings.pacedInstances, durationSec: this.settings.pacedSec });
  }
}
