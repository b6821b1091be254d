import { Cluster } from '../../test/support/cluster';
import { tempDataDir } from '../../test/support/helpers';
import { ProcessGroup } from '../../test/support/processes';
import { startRedis } from '../../test/support/redis.server';
import { LOOKUP, seedSharedStore, startFaultRegistry } from '../../test/faults/fault-setup';
import { LoadGenerator, type LoadResult } from '../online/load-generator';
import { options } from '../support/options';
import { commandLine, machine, writeResults } from '../support/report';

/*
 * Several API replicas on one data folder and one Redis (`npm run bench -- cluster`), issue 18
 * "Measured": requests/s each replica answers and the CPU each uses, all loaded at once (closed
 * loop, autocannon in a forked child), then each alone for reference. On a 2-core machine this
 * cannot show scaling (the replicas and the load generator share the cores); it shows what one
 * replica costs. The registry: a throwaway PostgreSQL server, as the fault tests run it
 * (FAULTS_REGISTRY=embedded: LMDB). Results in bench/results/cluster.{json,md}.
 *
 * Options: --replicas N (2), --duration S (8), --warmup S (2), --connections N per replica (8).
 */
export async function runClusterBench(args: string[]): Promise<void> {
  const opts = options(args);
  const replicas = Number(opts.replicas ?? '2');
  const durationSec = Number(opts.duration ?? '8');
  const warmupSec = Number(opts.warmup ?? '2');
  const connections = Number(opts.connections ?? '8');
  const names = Array.from({ length: replicas }, (_, i) => String.fromCharCode(97 + i));
  const tmp = tempDataDir('fs-bench-cluster-');
  const redis = await startRedis({ appendOnly: false });
  const procs = new ProcessGroup();
  const registry = await startFaultRegistry();
  let cluster: Cluster | null = null;
  try {
    const env = { ONLINE_STORE: redis.url, ...registry.env };
    await seedSharedStore(tmp.dir, env);
    cluster = await Cluster.start({ dataDir: tmp.dir, env, apis: names });
    const c = cluster;
    const generator = new LoadGenerator(procs);
    const requests = [{ method: 'POST' as const, path: '/v1/online-features', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LOOKUP) }];
    const measure = async (targets: string[]): Promise<Array<{ name: string; result: LoadResult; cpuPercent: number }>> => {
      const before = targets.map((n) => c.cpuSeconds(n));
      const started = Date.now();
      const results = await Promise.all(targets.map((n) => generator.peak(c.url(n), requests, { connections, warmupSec, durationSec })));
      const seconds = (Date.now() - started) / 1000;
      // The CPU over warm-up and measurement together: the replicas are loaded all along.
      return targets.map((name, i) => ({ name, result: results[i], cpuPercent: Math.round((100 * (c.cpuSeconds(name) - before[i])) / seconds) }));
    };
        const setting = `${replicas} replicas, ${connections} connections each, ${durationSec} s after ${warmupSec} s warm-up; ${registry.postgres ? 'PostgreSQL registry' : 'embedded registry'}, Redis online store`;
    console.log(`cluster bench: ${setting}`);
    const together = await measure(names);
    const alone = [];
    for (const name of names) alone.push(...(await measure([name])));
    const row = (when: string, r: { name: string; result: LoadResult; cpuPercent: number }) =>
      `| ${when} | ${r.name} | ${r.result.rps} | ${r.result.p50} | ${r.result.p99} | ${r.result.non2xx + r.result.errors} | ${r.cpuPercent} |`;
    const md = [
      `# API replicas on one data folder (${new Date().toISOString()})`,
      '',
      `Command: \`${commandLine('cluster', args)}\`; machine: ${JSON.stringify(machine())}. ${setting}. POST /v1/online-features, 4 symbols + 1 unknown x 4 features, closed loop (autocannon in a forked process). CPU: each replica's over warm-up and measurement, in % of one core. Replicas, load generator, Redis and PostgreSQL share the cores: this shows what a replica costs, not scaling.`,
      '',
      '| load | replica | req/s | p50 ms | p99 ms | failed | CPU % |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
      ...together.map((r) => row(`all at once (total ${together.reduce((n, x) => n + x.result.rps, 0)} req/s)`, r)),
      ...alone.map((r) => row('alone', r)),
    ].join('\n');
    writeResults('cluster', { command: commandLine('cluster', args), machine: machine(), setting, together, alone }, md);
    generator.close();
  } finally {
    await cluster?.stop();
    await procs.killAll();
    procs.dispose();
    await redis.close();
    await registry.close();
    tmp.cleanup();
  }
}
