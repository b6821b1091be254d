import { openRegistry } from '@app/features';
import { startPostgres } from '../../test/support/postgres.server';
import { timed } from '../support/measure';
import { commandLine, machine, ratio, writeResults } from '../support/report';
import { median } from '../support/stats';
import { withStore } from '../support/store-setup';
import { frameCommand } from './setup';

/**
 * `--registry`: the same 1M-row training set with the embedded registry and with PostgreSQL
 * (issue 18: within 1.2x). The embedded registry of the run's data folder is copied into a
 * throwaway PostgreSQL server with the registry's dump/load; two stores on the same data folder,
 * one per registry, alternate `repeat` times in a rotating order.
 */
export async function runRegistryAb(dataDir: string, bytes: Buffer, repeat: number, args: readonly string[]): Promise<void> {
  const postgres = await startPostgres();
  try {
    const url = await postgres.createDatabase('bench_registry');
    const embedded = await openRegistry({ dataDir, registry: { poolSize: 1, timeoutMs: 5000 } });
    const shared = await openRegistry({ dataDir, registry: { url, poolSize: 2, timeoutMs: 5000 } });
    const copied = await shared.load(embedded.dump());
    await Promise.all([embedded.close(), shared.close()]);
    const runs: Record<string, number[]> = { embedded: [], postgres: [] };
    const digests = new Set<string>();
    // One store at a time (opened and closed around each run, not timed): two stores open at
    // once in one process slowed whichever ran second by a third, whatever its registry.
    const env: Record<string, Record<string, string>> = { embedded: {}, postgres: { REGISTRY_URL: url } };
    const sides = Object.keys(env);
    for (let r = 0; r < repeat; r++) {
      for (let i = 0; i < sides.length; i++) {
        const name = sides[(i + r) % sides.length];
        const run = await withStore(dataDir, (store) => timed(() => store.trainingSets.create(frameCommand(bytes))), env[name]);
        digests.add(run.value.digest);
        runs[name].push(Math.round(run.ms));
        console.error(`  round ${r + 1} ${name}: ${Math.round(run.ms)} ms`);
      }
    }
    // Both registries describe the same versions: every set has the same rows.
    if (digests.size !== 1) throw new Error(`the two registries gave ${digests.size} different digests`);
    const value = ratio(median(runs.postgres), median(runs.embedded));
    const result = { command: commandLine('training-set', args), machine: machine(), records: copied, runs, ratioOfMedians: value, goal: { target: '<= 1.2', met: value <= 1.2 } };
    const md = [
      `# Training sets with the PostgreSQL registry and the embedded one (${new Date().toISOString()})`,
      '',
      `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}. The 1M-row entity frame and 10 features of the training-set bench; a store on the same data folder with the embedded registry or with PostgreSQL, one open at a time (${copied} records copied from it; Debian's PostgreSQL, local, fsync off). ${repeat} runs per side in a rotating order; every set had the same digest.`,
      '',
      '| registry | median ms | runs ms | / embedded |',
      '| --- | ---: | --- | ---: |',
      ...Object.entries(runs).map(([name, ms]) => `| ${name} | ${median(ms)} | ${ms.join(', ')} | ${ratio(median(ms), median(runs.embedded))} |`),
      '',
      `Ratio of medians, PostgreSQL / embedded: **${value}** (goal <= 1.2: ${value <= 1.2 ? 'met' : '**not met**'}).`,
    ].join('\n');
    writeResults('training-set-registry', result, md);
  } finally {
    await postgres.close();
  }
}
