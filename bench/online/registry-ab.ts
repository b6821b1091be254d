import { openRegistry } from '@app/features';
import { startPostgres } from '../../test/support/postgres.server';
import type { ProcessGroup } from '../../test/support/processes';
import { commandLine, machine, ratio, writeResults } from '../support/report';
import type { OtherCpu } from './cpu';
import type { LoadGenerator } from './load-generator';
import type { LoadSettings } from './measurement';
import { oursRequests, symbolSets } from './requests';
import { abTable, measureAb, type AbTarget } from './server-ab';
import { startApiServer } from './servers';

/*
 * The PostgreSQL registry's cost on the lookup path (issue 18: within 1.1x of the embedded one).
 * The embedded registry of the bench data is copied into a throwaway PostgreSQL server (Debian's,
 * test/support/postgres.server.ts) with the registry's own dump/load; then two servers of this
 * build run at once on the same data folder and LMDB online store, one with the embedded registry,
 * one with REGISTRY_URL, measured as server-ab.ts describes.
 */

export interface RegistryAbOptions {
  readonly rounds: number;
  readonly symbols: number;
  readonly args: readonly string[];
}

/** Runs the A/B and writes bench/results/online-registry.{json,md}; answers the p99 ratio PostgreSQL / embedded. */
export async function runRegistryAb(procs: ProcessGroup, load: LoadGenerator, cpu: OtherCpu, settings: LoadSettings, dataDir: string, logs: string, o: RegistryAbOptions): Promise<number> {
  const postgres = await startPostgres();
  try {
    const url = await postgres.createDatabase('bench_registry');
    const embedded = await openRegistry({ dataDir, registry: { poolSize: 1, timeoutMs: 5000 } });
    const shared = await openRegistry({ dataDir, registry: { url, poolSize: 2, timeoutMs: 5000 } });
    const copied = await shared.load(embedded.dump());
    await Promise.all([embedded.close(), shared.close()]);
    console.error(`  ${copied} registry records copied into PostgreSQL`);
    const requests = oursRequests(symbolSets(o.symbols, 1, 512, 1));
    const targets: AbTarget[] = [
      { name: 'embedded registry', server: await startApiServer(procs, 'ours-registry-embedded', dataDir, 'lmdb', logs), requests },
      { name: 'PostgreSQL registry', server: await startApiServer(procs, 'ours-registry-postgres', dataDir, 'lmdb', logs, { env: { REGISTRY_URL: url } }), requests },
    ];
    try {
      const { rows, rate } = await measureAb(targets, load, cpu, settings, o.rounds);
      const [local, pg] = rows;
      const p99Ratio = ratio(pg.p99, local.p99);
      const result = {
        command: commandLine('online', o.args),
        date: new Date().toISOString(),
        machine: machine(),
        route: 'POST /v1/online-features, 1 symbol x 50 features (feature service), LMDB online store',
        rounds: o.rounds,
        commonRate: rate,
        settings,
        records: copied,
        rows,
        ratios: { p99PostgresVsEmbedded: p99Ratio, peakPostgresVsEmbedded: ratio(pg.peakRps, local.peakRps) },
        goal: { goal: 'p99 at half load, PostgreSQL registry / embedded', value: p99Ratio, target: '<= 1.1', met: p99Ratio <= 1.1 },
      };
      const md = [
        `# Online lookups with the PostgreSQL registry and the embedded one (${result.date})`,
        '',
        `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}.`,
        '',
        `${result.route}. Two servers of this tree's build on the same data folder, at once: the embedded registry (LMDB) and PostgreSQL (${copied} records copied from it; a local server, Debian's PostgreSQL, fsync off). ${o.rounds} rounds in a rotating order. Peak: ${settings.connections} connections, ${settings.warmupSec} s warm-up, ${settings.durationSec} s. Latency: both at ${rate} req/s (half of the lower median peak), ${settings.pacedSec} s per measurement. Medians over the rounds.`,
        '',
        ...abTable(rows),
        '',
        `p99 PostgreSQL / embedded: **${p99Ratio}** (goal <= 1.1: ${result.goal.met ? 'met' : '**not met**'}); peak PostgreSQL / embedded: ${result.ratios.peakPostgresVsEmbedded}.`,
      ].join('\n');
      writeResults('online-registry', result, md);
      return p99Ratio;
    } finally {
      for (const t of targets) await procs.kill(t.server.child);
    }
  } finally {
    await postgres.close();
  }
}
