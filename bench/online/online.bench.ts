import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../test/support/helpers';
import { ProcessGroup } from '../../test/support/processes';
import { startRedis, type TestRedis } from '../../test/support/redis.server';
import { CACHE_DIR } from '../support/cache';
import { options } from '../support/options';
import { commandLine, machine, writeResults } from '../support/report';
import { SERVICE, benchViews } from './bench-catalog';
import { checkOursAgree, compareFeastShape, type Comparison } from './compare-answers';
import { OtherCpu } from './cpu';
import { ensureData, materializeIntoRedis } from './data';
import { FEAST_SERVE_ARGS, FeastPeer } from './feast-peer';
import { LoadGenerator } from './load-generator';
import { Measurer, type LoadSettings, type Scenario } from './measurement';
import { goals, markdown, type KeyScenarios, type OnlineResult } from './report';
import { feastRequests, oursRequests, symbolSets } from './requests';
import { API_MAIN_JS, startApiServer } from './servers';
import { runAuthAb } from './auth-ab';
import { runRegistryAb } from './registry-ab';

/*
 * Online serving benchmark (`npm run bench -- online`), issue 5 "Speed".
 *
 * Data: 5,000 synthetic symbols x 60 daily bars ending today, 5 bench views x 10 DOUBLE features,
 * feature service bench_50, materialised once into the embedded LMDB store (cached under
 * bench/.cache/online-data) and, every run, into a fresh redis-server (bench/.cache/online-redis-run,
 * lake symlinked). Feast gets the same latest rows (read from our offline Parquet files) in the
 * same redis-server (db 1) and is served by `feast serve` (feast-peer.ts).
 *
 * Load: autocannon in a forked child process (load-generator.ts). Per target: peak req/s (closed
 * loop, --connections, after a warm-up), then latency at about half that rate.
 *
 * Options: --duration S (peak measurement, default 12), --warmup S (3), --paced-duration S (10),
 * --connections N (32), --connections-100 N (8), --paced-instances N (20), --feast-workers "1,2",
 * --quiet-wait S (120), --skip-build, --quick (short runs for development), --symbols N (5000),
 * --days N (60), --auth-rounds N (access control on vs off, auth-ab.ts; default 3, 0 skips it),
 * --auth-only (only that A/B), --baseline-dist DIR (a build from before access control, measured
 * beside it), --registry-rounds N (the PostgreSQL registry vs the embedded one, registry-ab.ts;
 * default 3, 0 skips it), --registry-only (only that A/B). BENCH_SERVER_NODE_ARGS="--max-semi-space-size=64" passes node flags to our two
 * API servers (for tuning experiments; the committed figures use none).
 */
export async function runOnlineBench(args: string[]): Promise<void> {
  const opts = options(args);
  const quick = 'quick' in opts;
  const settings: LoadSettings = {
    connections: Number(opts.connections ?? '32'),
    // 100-entity requests: fewer connections saturate every server, and Feast's answers would
    // otherwise queue for seconds, close to autocannon's 10 s timeout.
    connections100: Number(opts['connections-100'] ?? '8'),
    warmupSec: Number(opts.warmup ?? (quick ? '1' : '3')),
    durationSec: Number(opts.duration ?? (quick ? '3' : '12')),
    pacedSec: Number(opts['paced-duration'] ?? (quick ? '3' : '10')),
    pacedInstances: Number(opts['paced-instances'] ?? '20'),
  };
  const feastWorkers = (opts['feast-workers'] ?? '1,2').split(',').map(Number).filter((n) => n > 0);
  if (feastWorkers.length === 0) throw new Error('--feast-workers: at least one worker count above 0 (Feast is the reference of every comparison)');
  const symbols = Number(opts.symbols ?? '5000');
  const days = Number(opts.days ?? '60');
  const logs = join(CACHE_DIR, 'online-logs');
  mkdirSync(logs, { recursive: true });

  if (!('skip-build' in opts)) {
    console.error('npm run build …');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(API_MAIN_JS)) throw new Error(`${API_MAIN_JS} is missing: npm run build`);

  const loadAtStart = loadavg().map((x) => Number(x.toFixed(2)));
  const procs = new ProcessGroup();
  let load: LoadGenerator | null = null;
  let redis: TestRedis | null = null;
  try {
    const data = await ensureData(symbols, days);
    const authRounds = Number(opts['auth-rounds'] ?? (quick ? '1' : '3'));
    const authAb = async (generator: LoadGenerator) => {
      if (authRounds <= 0) return;
      console.error('access control on vs off …');
      const cpu = new OtherCpu(procs, Number(opts['quiet-wait'] ?? '120'));
      await runAuthAb(procs, generator, cpu, settings, data.dir, logs, { rounds: authRounds, symbols, baselineDist: opts['baseline-dist'], args });
    };
    const registryRounds = Number(opts['registry-rounds'] ?? (quick ? '1' : '3'));
    const registryAb = async (generator: LoadGenerator) => {
      if (registryRounds <= 0) return;
      console.error('PostgreSQL registry vs embedded …');
      const cpu = new OtherCpu(procs, Number(opts['quiet-wait'] ?? '120'));
      await runRegistryAb(procs, generator, cpu, settings, data.dir, logs, { rounds: registryRounds, symbols, args });
    };
    if ('auth-only' in opts || 'registry-only' in opts) {
      load = new LoadGenerator(procs);
      if ('auth-only' in opts) await authAb(load);
      if ('registry-only' in opts) await registryAb(load);
      return;
    }

    // One redis-server: db 0 for ours, db 1 for Feast. No persistence: the store is measured, not the disk.
    redis = await startRedis({ appendOnly: false });
    procs.track(redis.process()!);
    const redisUrl = redis.url;
    console.error('materialising into redis …');
    const redisData = await materializeIntoRedis(data.dir, redisUrl);

    console.error('building the Feast repo …');
    const feastPeer = FeastPeer.build(data.dir, redis.port);

    const oursLmdb = await startApiServer(procs, 'ours-lmdb', data.dir, 'lmdb', logs);
    const oursRedis = await startApiServer(procs, 'ours-redis', redisData.dir, redisUrl, logs);

    // Correctness before measuring: LMDB = Redis (= Feast, below), for a few symbols and one unknown.
    const checkSymbols = [...symbolSets(symbols, 8, 1, 99)[0], 'NOPE-USD'];
    const lmdbVsRedis = await checkOursAgree(oursLmdb.url, oursRedis.url, checkSymbols);

    load = new LoadGenerator(procs);
    const measurer = new Measurer(load, new OtherCpu(procs, Number(opts['quiet-wait'] ?? '120')), settings);
    const sets1 = symbolSets(symbols, 1, 512, 1);
    const sets100 = symbolSets(symbols, 100, 256, 2);
    const ours = (id: string, label: string, server: string, route: string, entities: number) => ({ id, label, server, route, entities, features: entities ? 50 : 0 });

    const trivial = await measurer.measure(ours('trivial', 'ours, GET /health/live (trivial JSON route)', 'ours-lmdb', 'GET /health/live', 0), oursLmdb.url, [{ method: 'GET', path: '/health/live' }]);
    const lmdb1 = await measurer.measure(ours('lmdb-1x50', 'ours LMDB, 1 x 50', 'ours-lmdb', 'POST /v1/online-features', 1), oursLmdb.url, oursRequests(sets1));
    const lmdb100 = await measurer.measure(ours('lmdb-100x50', 'ours LMDB, 100 x 50', 'ours-lmdb', 'POST /v1/online-features', 100), oursLmdb.url, oursRequests(sets100));
    await measurer.measure(ours('lmdb-feast-route-1x50', 'ours LMDB, 1 x 50, Feast route', 'ours-lmdb', 'POST /get-online-features', 1), oursLmdb.url, feastRequests(sets1));
    await measurer.measure(ours('lmdb-feast-route-100x50', 'ours LMDB, 100 x 50, Feast route', 'ours-lmdb', 'POST /get-online-features', 100), oursLmdb.url, feastRequests(sets100));
    await procs.kill(oursLmdb.child);
    const redis1 = await measurer.measure(ours('redis-1x50', 'ours Redis, 1 x 50', 'ours-redis', 'POST /v1/online-features', 1), oursRedis.url, oursRequests(sets1));
    const redis100 = await measurer.measure(ours('redis-100x50', 'ours Redis, 100 x 50', 'ours-redis', 'POST /v1/online-features', 100), oursRedis.url, oursRequests(sets100));

    // Feast: peak with each worker count, then latency at half load with the best one per size.
    const feastChecks: Array<{ workers: number } & Comparison> = [];
    const feastTrials: Array<{ workers: number; s1: Scenario; s100: Scenario }> = [];
    for (const workers of feastWorkers) {
      console.error(`feast serve with ${workers} worker(s) …`);
      const feast = await feastPeer.serve(procs, workers, logs);
      try {
        const check = { workers, ...(await compareFeastShape(oursRedis.url, feast.url, checkSymbols)) };
        feastChecks.push(check);
        if (check.differing > 0) throw new Error(`Feast's answer differs from ours: ${JSON.stringify(check)}`);
        const scenario = (size: string, entities: number) => ({
          id: `feast-w${workers}-${size}`,
          label: `Feast serve (${workers} worker${workers > 1 ? 's' : ''}), ${size.replace('x', ' x ')}`,
          server: `feast-w${workers}`,
          route: 'POST /get-online-features',
          entities,
          features: 50,
        });
        const s1 = await measurer.measure(scenario('1x50', 1), feast.url, feastRequests(sets1), false);
        const s100 = await measurer.measure(scenario('100x50', 100), feast.url, feastRequests(sets100), false);
        feastTrials.push({ workers, s1, s100 });
      } finally {
        await procs.kill(feast.child);
      }
    }
    const best = (pick: (t: (typeof feastTrials)[number]) => Scenario) => feastTrials.reduce((a, b) => (pick(b).peak.rps > pick(a).peak.rps ? b : a));
    const best1 = best((t) => t.s1);
    const best100 = best((t) => t.s100);
    for (const [scenario, workers, sets] of [[best1.s1, best1.workers, sets1], [best100.s100, best100.workers, sets100]] as const) {
      const feast = await feastPeer.serve(procs, workers, logs);
      try {
        await measurer.atHalfLoad(scenario, feast.url, feastRequests(sets));
      } finally {
        await procs.kill(feast.child);
      }
    }

    await authAb(load);
    await registryAb(load);

    const key: KeyScenarios = { trivial, lmdb1, lmdb100, redis1, redis100, feast1: best1.s1, feast100: best100.s100, feastWorkers1: best1.workers };
    const result: OnlineResult = {
      command: commandLine('online', args),
      date: new Date().toISOString(),
      machine: machine(),
      loadAverageAtStart: loadAtStart,
      loadGenerator: `autocannon (programmatic API) in a forked child process on the same ${machine().cpus}-core machine as the servers`,
      data: { symbols, days, endDate: data.marker.endDate, views: benchViews().length, features: 50, service: SERVICE, dataDir: data.dir, redisMaterialiseMs: redisData.ms },
      settings: { ...settings, feastWorkersTried: feastWorkers },
      feast: { version: feastPeer.setup.feast, setup: feastPeer.setup, bestWorkers1x50: best1.workers, bestWorkers100x50: best100.workers, serveArgs: FEAST_SERVE_ARGS, checks: feastChecks },
      checks: { lmdbVsRedis },
      scenarios: measurer.scenarios,
      goals: goals(key),
    };
    writeResults('online', result, markdown(result, key));
  } finally {
    load?.close();
    await procs.killAll();
    procs.dispose();
    await redis?.close();
  }
}
