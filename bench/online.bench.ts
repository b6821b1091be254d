import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Catalog, FeatureViewDefinition } from '@app/features';
import { CACHE_DIR, machine, options, writeResults } from './support';

/*
 * Online serving benchmark (`npm run bench -- online`), issue 5 "Speed".
 *
 * Data: 5,000 synthetic symbols x 60 daily bars ending today, 5 bench views x 10 DOUBLE features,
 * feature service bench_50, materialised once into the embedded LMDB store (cached under
 * bench/.cache/online-data) and, every run, into a fresh redis-server (bench/.cache/online-redis-run,
 * lake symlinked). Feast 0.67 gets the same latest rows (read from our offline Parquet files) in
 * the same redis-server (db 1) and is served by `feast serve`.
 *
 * Load: autocannon, programmatic API, in a forked child process (this file, ONLINE_BENCH_WORKER=1),
 * never inside a server process. Per target: peak req/s (closed loop, --connections, after a
 * warm-up), then latency at about half that rate (see pacedRun for how the rate is capped).
 *
 * Options: --duration S (peak measurement, default 12), --warmup S (3), --paced-duration S (10),
 * --connections N (32), --feast-workers "1,2", --skip-build, --quick (short runs for development),
 * --symbols N (5000), --days N (60). BENCH_SERVER_NODE_ARGS="--max-semi-space-size=64" passes node
 * flags to our two API servers (for tuning experiments; the committed figures use none).
 */

const SERVICE = 'bench_50';
const DATASET = 'bars_1d';
const TTL = '30d';

/** The bench's 5 views x 10 DOUBLE features, plain DuckDB SQL over `source`. */
function benchViews(): FeatureViewDefinition[] {
  const w = 'WINDOW w AS (PARTITION BY symbol ORDER BY ts)';
  const ks = Array.from({ length: 10 }, (_, i) => i + 1);
  const view = (name: string, description: string, features: Array<[string, string]>): FeatureViewDefinition => ({
    name,
    entity: 'symbol',
    source: DATASET,
    timestampColumn: 'ts',
    ttl: TTL,
    lookback: '40d',
    stream: false,
    description,
    owner: 'bench',
    tags: { bench: 'online' },
    sql: `SELECT symbol, ts,\n  ${features.map(([n, e]) => `${e} AS ${n}`).join(',\n  ')}\nFROM source\n${w}`,
    features: features.map(([n]) => ({ name: n, type: 'DOUBLE' as const, description: '' })),
  });
  return [
    view('ob_returns', 'close / close k bars earlier - 1', ks.map((k) => [`ret_${k}`, `close / lag(close, ${k}) OVER w - 1`])),
    view('ob_sma', 'close / SMA of the last 2k bars - 1', ks.map((k) => [`sma_${2 * k}`, `close / avg(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN ${2 * k - 1} PRECEDING AND CURRENT ROW) - 1`])),
    view('ob_range', '(high - low) / close of the bar k-1 bars earlier', ks.map((k) => [`rng_${k - 1}`, k === 1 ? '(high - low) / close' : `(lag(high, ${k - 1}) OVER w - lag(low, ${k - 1}) OVER w) / lag(close, ${k - 1}) OVER w`])),
    view('ob_volume', 'ln(volume / volume k bars earlier)', ks.map((k) => [`lvol_${k}`, `ln(volume / lag(volume, ${k}) OVER w)`])),
    view('ob_gap', 'open / close k bars earlier - 1', ks.map((k) => [`gap_${k}`, `open / lag(close, ${k}) OVER w - 1`])),
  ];
}

function benchCatalog(): Catalog {
  const views = benchViews();
  return {
    entities: [{ name: 'symbol', joinKeys: ['symbol'], description: 'A traded instrument, by ticker.' }],
    views,
    services: [{ name: SERVICE, features: views.flatMap((v) => v.features.map((f) => `${v.name}:${f.name}`)), description: '50 features over 5 views', owner: 'bench', tags: {} }],
  };
}

// ---------------------------------------------------------------------------------------------
// Processes: every child is started in its own process group and killed (group) at the end.

class Processes {
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = () => this.killAllSync();

  constructor() {
    process.on('exit', this.onExit);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.killAllSync();
        process.exit(130);
      });
    }
  }

  spawn(name: string, command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; log: string }): ChildProcess {
    const out = createWriteStream(opts.log);
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    (child as ChildProcess & { benchName?: string }).benchName = name;
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Process groups of this bench: its own and every detached child's. */
  groups(): Set<number> {
    const own = Number(procStatFields('self')?.[2] ?? process.pid);
    return new Set([own, ...[...this.children].map((c) => c.pid ?? -1)]);
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** SIGTERM to the child's process group, SIGKILL after 5 s. */
  async kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    // Gunicorn workers and the like: make sure nothing of the group survives.
    signalGroup(child, 'SIGKILL');
    this.children.delete(child);
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.kill(c)));
  }

  killAllSync(): void {
    for (const c of this.children) signalGroup(c, 'SIGKILL');
    this.children.clear();
  }

  dispose(): void {
    process.off('exit', this.onExit);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(url: string, child: ChildProcess, what: string, log: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}); log ${log}:\n${tail(log)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s; log ${log}:\n${tail(log)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Data.

interface DataMarker {
  readonly endDate: string;
  readonly symbols: number;
  readonly days: number;
  readonly catalog: string;
}

function catalogDigest(): string {
  return createHash('sha256').update(JSON.stringify(benchCatalog())).digest('hex').slice(0, 16);
}

/** Synthetic bars, bench views and service, materialised into LMDB; rebuilt when older than 7 days. */
async function ensureData(symbols: number, days: number): Promise<{ dir: string; marker: DataMarker }> {
  const f = await import('@app/features');
  const dir = join(CACHE_DIR, `online-data-${symbols}x${days}`);
  const markerFile = join(dir, 'bench-online.json');
  const today = f.startOfUtcDay(new Date());
  if (existsSync(markerFile)) {
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as DataMarker;
    const ageDays = (today.getTime() - new Date(marker.endDate).getTime()) / 86_400_000;
    if (marker.symbols === symbols && marker.days === days && marker.catalog === catalogDigest() && ageDays <= 7) return { dir, marker };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.error(`generating ${symbols} symbols x ${days} days ending ${today.toISOString().slice(0, 10)} into ${dir} …`);
  const store = await f.FeatureStore.open(f.loadConfig({ DATA_DIR: dir, ONLINE_STORE: 'lmdb' }));
  try {
    await store.ingest.run(new f.SyntheticProvider({ symbols, days, seed: 7, endDate: today }), { dataset: DATASET, createAs: 'bars' });
    await f.applyCatalog(store.features, benchCatalog());
    for (const v of benchViews()) await store.materializer.run({ view: v.name });
  } finally {
    await store.close();
  }
  const marker: DataMarker = { endDate: today.toISOString(), symbols, days, catalog: catalogDigest() };
  writeFileSync(markerFile, JSON.stringify(marker));
  return { dir, marker };
}

/** A fresh data dir over the same lake whose online store is the given Redis (materialised now). */
async function materializeIntoRedis(dataDir: string, redisUrl: string): Promise<{ dir: string; ms: number }> {
  const f = await import('@app/features');
  const dir = join(CACHE_DIR, 'online-redis-run');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(dataDir, 'lake'), join(dir, 'lake'));
  const started = Date.now();
  const store = await f.FeatureStore.open(f.loadConfig({ DATA_DIR: dir, ONLINE_STORE: redisUrl }));
  try {
    await store.registry.datasets.putDataset(f.barSchema(DATASET), true);
    await f.applyCatalog(store.features, benchCatalog());
    for (const v of benchViews()) await store.materializer.run({ view: v.name });
  } finally {
    await store.close();
  }
  return { dir, ms: Date.now() - started };
}


// ---------------------------------------------------------------------------------------------
// CPU used by other processes (the machine is shared): /proc/stat busy time minus the CPU time
// of this bench's own processes (its process group, the servers' groups, the load worker).

const CLK_TCK = 100;

function procStatFields(pid: string): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  } catch {
    return null;
  }
}

function cpuSnapshot(groups: Set<number>): { busy: number; mine: number } {
  const [, ...cols] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const v = cols.map(Number);
  const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0); // user nice system irq softirq steal
  let mine = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = procStatFields(pid);
    if (!f) continue;
    if (groups.has(Number(f[2]))) mine += Number(f[11]) + Number(f[12]); // pgrp; utime, stime
  }
  return { busy, mine };
}

/** Percent of one core that processes outside `groups` used between two snapshots, per second of `seconds`. */
function otherCpuPercent(a: { busy: number; mine: number }, b: { busy: number; mine: number }, seconds: number): number {
  return Math.max(0, Math.round((100 * (b.busy - a.busy - (b.mine - a.mine))) / CLK_TCK / seconds));
}

// ---------------------------------------------------------------------------------------------
// Load generator: autocannon in a forked child process.

interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

interface PeakTask {
  kind: 'peak';
  url: string;
  requests: LoadRequest[];
  connections: number;
  warmupSec: number;
  durationSec: number;
}

interface PacedTask {
  kind: 'paced';
  url: string;
  requests: LoadRequest[];
  targetRps: number;
  instances: number;
  durationSec: number;
}

type LoadTask = PeakTask | PacedTask;

interface LoadResult {
  /** 2xx responses per second over the measurement. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  connections: number;
  /** From every response's own time (ms, microsecond resolution), no coordinated-omission fill-in. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** autocannon's own summary (its histogram has 1 ms resolution). */
  autocannon: { p50: number; p99: number; rpsAverage: number };
}

class LoadWorker {
  private readonly child: ChildProcess;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor(procs: Processes) {
    this.child = fork(__filename, [], {
      execArgv: ['-r', '@swc-node/register'],
      env: { ...process.env, ONLINE_BENCH_WORKER: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    procs.track(this.child);
    this.child.on('message', (m: { id: number; result?: LoadResult; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.result!);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`load worker exited with ${code}`));
      this.pending.clear();
    });
  }

  run(task: LoadTask): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolveRun, reject) => {
      this.pending.set(id, { resolve: resolveRun, reject });
      this.child.send({ id, task });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill('SIGTERM');
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarise(latencies: number[]): { p50: number; p90: number; p99: number; max: number; mean: number } {
  const sorted = Float64Array.from(latencies).sort();
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  return { p50: r(percentile(sorted, 50)), p90: r(percentile(sorted, 90)), p99: r(percentile(sorted, 99)), max: r(sorted[sorted.length - 1] ?? NaN), mean: r(mean) };
}

/** Runs in the forked child. */
async function workerRun(task: LoadTask): Promise<LoadResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as typeof import('autocannon');
  const requests = (rotate: number) => {
    const rs = task.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body }));
    const k = rotate % rs.length;
    return [...rs.slice(k), ...rs.slice(0, k)];
  };
  const once = (opts: Record<string, unknown>, latencies: number[] | null) =>
    new Promise<import('autocannon').Result>((resolveRun, reject) => {
      const instance = autocannon({ url: task.url, pipelining: 1, timeout: 10, ...opts } as import('autocannon').Options, (error, result) => (error ? reject(error) : resolveRun(result)));
      if (latencies) instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => status < 300 && latencies.push(ms));
    });
  if (task.kind === 'peak') {
    if (task.warmupSec > 0) await once({ connections: task.connections, duration: task.warmupSec, requests: requests(0) }, null);
    const latencies: number[] = [];
    const result = await once({ connections: task.connections, duration: task.durationSec, requests: requests(0) }, latencies);
    const ok = result['2xx'];
    const seconds = task.durationSec;
    return {
      rps: Math.round(ok / seconds),
      ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      durationSec: seconds,
      connections: task.connections,
      ...summarise(latencies),
      autocannon: { p50: result.latency.p50, p99: result.latency.p99, rpsAverage: result.requests.average },
    };
  }
  // Paced: autocannon's rate cap (overallRate/connectionRate) lets each connection send its
  // per-second quota back to back at the start of every second, then idle: one instance gives a
  // burst per second. So the target rate is split over `instances` autocannon instances of one
  // connection each, started 1000/instances ms apart: small bursts spread over the second.
  const latencies: number[] = [];
  const runs: Array<Promise<import('autocannon').Result>> = [];
  for (let i = 0; i < task.instances; i++) {
    // Instance rates add up to the target exactly.
    const rate = Math.max(1, Math.floor(task.targetRps / task.instances) + (i < task.targetRps % task.instances ? 1 : 0));
    runs.push(once({ connections: 1, overallRate: rate, duration: task.durationSec, requests: requests(i * 7) }, latencies));
    await sleep(1000 / task.instances);
  }
  const results = await Promise.all(runs);
  const sum = (f: (r: import('autocannon').Result) => number) => results.reduce((a, r) => a + f(r), 0);
  const ok = sum((r) => r['2xx']);
  return {
    rps: Math.round(ok / task.durationSec),
    ok,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    durationSec: task.durationSec,
    connections: task.instances,
    ...summarise(latencies),
    autocannon: { p50: NaN, p99: NaN, rpsAverage: sum((r) => r.requests.average) },
  };
}

function startWorker(): void {
  process.on('message', (m: { id: number; task: LoadTask }) => {
    workerRun(m.task).then(
      (result) => process.send!({ id: m.id, result }),
      (error: unknown) => process.send!({ id: m.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Request bodies.

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const symbolName = (i: number) => `SYN${String(i).padStart(4, '0')}`;

function symbolSets(symbols: number, perRequest: number, count: number, seed: number): string[][] {
  const random = rng(seed);
  return Array.from({ length: count }, () => {
    const picked = new Set<string>();
    while (picked.size < perRequest) picked.add(symbolName(1 + Math.floor(random() * symbols)));
    return [...picked];
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function oursRequests(sets: string[][]): LoadRequest[] {
  return sets.map((s) => ({ method: 'POST', path: '/v1/online-features', headers: JSON_HEADERS, body: JSON.stringify({ featureService: SERVICE, entities: { symbol: s } }) }));
}

function feastRequests(sets: string[][]): LoadRequest[] {
  return sets.map((s) => ({ method: 'POST', path: '/get-online-features', headers: JSON_HEADERS, body: JSON.stringify({ feature_service: SERVICE, entities: { symbol: s }, full_feature_names: true }) }));
}

// ---------------------------------------------------------------------------------------------
// Checks.

interface FeastAnswer {
  metadata: { feature_names: string[] };
  results: Array<{ values: unknown[]; statuses: string[] }>;
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Feast-shape answers as {name: [values]}, {name: [statuses]}. */
function columns(a: FeastAnswer): { values: Map<string, unknown[]>; statuses: Map<string, string[]> } {
  const values = new Map<string, unknown[]>();
  const statuses = new Map<string, string[]>();
  a.metadata.feature_names.forEach((n, i) => {
    values.set(n, a.results[i].values);
    statuses.set(n, a.results[i].statuses);
  });
  return { values, statuses };
}

interface Comparison {
  symbols: number;
  features: number;
  valuesCompared: number;
  differing: number;
  presentInOurs: number;
  presentInFeast: number;
  maxRelDiff: number;
  examples: string[];
}

/** Same request to both servers' /get-online-features; every value compared by name. */
async function compareFeastShape(oursUrl: string, otherUrl: string, symbols: string[]): Promise<Comparison> {
  const body = { feature_service: SERVICE, entities: { symbol: symbols }, full_feature_names: true };
  const [ours, other] = await Promise.all([postJson<FeastAnswer>(`${oursUrl}/get-online-features`, body), postJson<FeastAnswer>(`${otherUrl}/get-online-features`, body)]);
  const o = columns(ours);
  const f = columns(other);
  const c: Comparison = { symbols: symbols.length, features: o.values.size - 1, valuesCompared: 0, differing: 0, presentInOurs: 0, presentInFeast: 0, maxRelDiff: 0, examples: [] };
  const names = new Set([...o.values.keys(), ...f.values.keys()]);
  for (const name of names) {
    const ov = o.values.get(name);
    const fv = f.values.get(name);
    for (let j = 0; j < symbols.length; j++) {
      c.valuesCompared++;
      const a = ov?.[j];
      const b = fv?.[j];
      if (name !== 'symbol') {
        if (o.statuses.get(name)?.[j] === 'PRESENT') c.presentInOurs++;
        if (f.statuses.get(name)?.[j] === 'PRESENT') c.presentInFeast++;
      }
      let same = a === b;
      if (!same && typeof a === 'number' && typeof b === 'number') {
        const rel = Math.abs(a - b) / Math.max(1e-300, Math.abs(a), Math.abs(b));
        c.maxRelDiff = Math.max(c.maxRelDiff, rel);
        same = rel <= 1e-12;
      }
      if (!same) {
        c.differing++;
        if (c.examples.length < 5) c.examples.push(`${symbols[j]} ${name}: ours ${JSON.stringify(a)}, other ${JSON.stringify(b)}`);
      }
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// The bench.

interface Scenario {
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

export async function runOnlineBench(args: string[]): Promise<void> {
  const opts = options(args);
  const quick = 'quick' in opts;
  const durationSec = Number(opts.duration ?? (quick ? '3' : '12'));
  const warmupSec = Number(opts.warmup ?? (quick ? '1' : '3'));
  const pacedSec = Number(opts['paced-duration'] ?? (quick ? '3' : '10'));
  const connections = Number(opts.connections ?? '32');
  // 100-entity requests: fewer connections saturate every server, and Feast's answers would
  // otherwise queue for seconds, close to autocannon's 10 s timeout.
  const connections100 = Number(opts['connections-100'] ?? '8');
  const pacedInstances = Number(opts['paced-instances'] ?? '20');
  const feastWorkers = (opts['feast-workers'] ?? '1,2').split(',').map(Number).filter((n) => n > 0);
  if (feastWorkers.length === 0) throw new Error('--feast-workers: at least one worker count above 0 (Feast is the reference of every comparison)');
  const symbols = Number(opts.symbols ?? '5000');
  const days = Number(opts.days ?? '60');
  const root = resolve(__dirname, '..');
  const logs = join(CACHE_DIR, 'online-logs');
  mkdirSync(logs, { recursive: true });

  if (!('skip-build' in opts)) {
    console.error('npm run build …');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const mainJs = join(root, 'dist', 'apps', 'api', 'src', 'main.js');
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: npm run build`);

  const loadAtStart = (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2)));
  const procs = new Processes();
  let worker: LoadWorker | null = null;
  try {
    const data = await ensureData(symbols, days);

    // One redis-server: db 0 for ours, db 1 for Feast.
    const redisPort = await freePort();
    const redisDir = join(CACHE_DIR, 'online-redis-server');
    rmSync(redisDir, { recursive: true, force: true });
    mkdirSync(redisDir, { recursive: true });
    const redisLog = join(logs, 'redis.log');
    const redis = procs.spawn('redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { log: redisLog });
    await waitForRedis(redisPort, redis, redisLog);
    const redisUrl = `redis://127.0.0.1:${redisPort}/0`;
    console.error('materialising into redis …');
    const redisData = await materializeIntoRedis(data.dir, redisUrl);

    console.error('building the Feast repo …');
    const python = execFileSync('bash', [join(root, 'scripts', 'ensure-feast.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const feastBin = join(python, '..', 'feast');
    const feastRepo = join(CACHE_DIR, 'online-feast-repo');
    const viewsSpec = Object.fromEntries(benchViews().map((v) => [v.name, v.features.map((f) => f.name)]));
    const feastSetup = JSON.parse(
      execFileSync(
        python,
        [join(__dirname, 'feast', 'online_feast_repo.py'), '--repo', feastRepo, '--offline', join(data.dir, 'offline'), '--views', JSON.stringify(viewsSpec), '--service', SERVICE, '--redis', `127.0.0.1:${redisPort},db=1`, '--ttl-days', '30'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 },
      )
        .trim()
        .split('\n')
        .pop()!,
    ) as { feast: string; rows: Record<string, number>; applyMs: number; writeMs: number };

    // Our servers.
    const startOurs = async (name: string, dir: string, store: string) => {
      const port = await freePort();
      const log = join(logs, `${name}.log`);
      const child = procs.spawn(name, process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), mainJs], {
        cwd: root,
        env: { ...process.env, DATA_DIR: dir, BOOTSTRAP: 'false', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', ONLINE_STORE: store, NODE_ENV: 'production' },
        log,
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(`${url}/health`, child, name, log);
      return { child, url };
    };
    const oursLmdb = await startOurs('ours-lmdb', data.dir, 'lmdb');
    const oursRedis = await startOurs('ours-redis', redisData.dir, redisUrl);

    const startFeast = async (workers: number) => {
      const port = await freePort();
      const log = join(logs, `feast-serve-w${workers}.log`);
      const child = procs.spawn(`feast-w${workers}`, feastBin, ['-c', feastRepo, 'serve', '-h', '127.0.0.1', '-p', String(port), '--no-access-log', '-w', String(workers), '--max-requests', '0', '--registry_ttl_sec', '3600'], {
        cwd: feastRepo,
        env: { ...process.env, PYTHONWARNINGS: 'ignore' },
        log,
      });
      const url = `http://127.0.0.1:${port}`;
      // feast serve has GET /health.
      await waitFor(`${url}/health`, child, 'feast serve', log, 120_000);
      return { child, url };
    };

    // Correctness before measuring: LMDB = Redis = Feast, for a few symbols (and one unknown).
    const checkSymbols = [...symbolSets(symbols, 8, 1, 99)[0], 'NOPE-USD'];
    const lmdbVsRedis = await compareFeastShape(oursLmdb.url, oursRedis.url, checkSymbols);
    const v1 = await postJson<{ rows: unknown[]; metadata: Array<{ statuses: Record<string, string> }> }>(`${oursLmdb.url}/v1/online-features`, { featureService: SERVICE, entities: { symbol: checkSymbols.slice(0, 3) } });
    const v1Present = v1.metadata.flatMap((m) => Object.values(m.statuses)).filter((s) => s === 'PRESENT').length;
    if (lmdbVsRedis.differing > 0 || v1Present !== 150) throw new Error(`our LMDB and Redis answers differ or are incomplete: ${JSON.stringify({ lmdbVsRedis, v1Present })}`);

    worker = new LoadWorker(procs);
    const scenarios: Scenario[] = [];
    const sets1 = symbolSets(symbols, 1, 512, 1);
    const sets100 = symbolSets(symbols, 100, 256, 2);
    const peak = (url: string, requests: LoadRequest[], conns = connections) => worker!.run({ kind: 'peak', url, requests, connections: conns, warmupSec, durationSec });
    const paced = (url: string, requests: LoadRequest[], targetRps: number) => worker!.run({ kind: 'paced', url, requests, targetRps, instances: Math.min(pacedInstances, Math.max(1, targetRps)), durationSec: pacedSec });
    // Waits (up to --quiet-wait s) until other processes use under 15% of a core for 2 s.
    const quietWait = Number(opts['quiet-wait'] ?? '120');
    const waitQuiet = async (): Promise<number> => {
      const started = Date.now();
      for (;;) {
        const a = cpuSnapshot(procs.groups());
        await sleep(2000);
        const other = otherCpuPercent(a, cpuSnapshot(procs.groups()), 2);
        const waited = Math.round((Date.now() - started) / 1000);
        if (other < 15 || waited >= quietWait) {
          if (other >= 15) console.error(`  other processes still use ${other}% of a core after ${waited} s; measuring anyway`);
          return waited;
        }
      }
    };
    const accounted = async <T>(work: () => Promise<T>, seconds: number): Promise<{ value: T; other: number }> => {
      const a = cpuSnapshot(procs.groups());
      const started = Date.now();
      const value = await work();
      const b = cpuSnapshot(procs.groups());
      return { value, other: otherCpuPercent(a, b, Math.max(seconds, (Date.now() - started) / 1000)) };
    };
    const measure = async (s: Omit<Scenario, 'peak' | 'paced'>, url: string, requests: LoadRequest[], withPaced = true): Promise<Scenario> => {
      console.error(`measuring ${s.label} …`);
      const waitedSec = await waitQuiet();
      const p = await accounted(() => peak(url, requests, s.entities >= 100 ? connections100 : connections), warmupSec + durationSec);
      const scenario: Scenario = { ...s, peak: p.value, otherCpuPct: { peak: p.other, waitedSec } };
      if (withPaced) {
        scenario.pacedTargetRps = Math.max(1, Math.round(p.value.rps / 2));
        const q = await accounted(() => paced(url, requests, scenario.pacedTargetRps!), pacedSec);
        scenario.paced = q.value;
        scenario.otherCpuPct!.paced = q.other;
      }
      const bad = p.value.non2xx + p.value.errors + (scenario.paced ? scenario.paced.non2xx + scenario.paced.errors : 0);
      if (bad > 0) scenario.note = `${bad} failed requests (non-2xx or errors)`;
      console.error(`  [others used ${JSON.stringify(scenario.otherCpuPct)}% of a core] peak ${p.value.rps} req/s (p50 ${p.value.p50} ms, p99 ${p.value.p99} ms)${scenario.paced ? `; at ${scenario.paced.rps} req/s p50 ${scenario.paced.p50} ms, p99 ${scenario.paced.p99} ms` : ''}${scenario.note ? `; ${scenario.note}` : ''}`);
      scenarios.push(scenario);
      return scenario;
    };

    const trivial = await measure({ id: 'trivial', label: 'ours, GET /health/live (trivial JSON route)', server: 'ours-lmdb', route: 'GET /health/live', entities: 0, features: 0 }, oursLmdb.url, [{ method: 'GET', path: '/health/live' }]);
    const lmdb1 = await measure({ id: 'lmdb-1x50', label: 'ours LMDB, 1 x 50', server: 'ours-lmdb', route: 'POST /v1/online-features', entities: 1, features: 50 }, oursLmdb.url, oursRequests(sets1));
    const lmdb100 = await measure({ id: 'lmdb-100x50', label: 'ours LMDB, 100 x 50', server: 'ours-lmdb', route: 'POST /v1/online-features', entities: 100, features: 50 }, oursLmdb.url, oursRequests(sets100));
    await measure({ id: 'lmdb-feast-route-1x50', label: 'ours LMDB, 1 x 50, Feast route', server: 'ours-lmdb', route: 'POST /get-online-features', entities: 1, features: 50 }, oursLmdb.url, feastRequests(sets1));
    await measure({ id: 'lmdb-feast-route-100x50', label: 'ours LMDB, 100 x 50, Feast route', server: 'ours-lmdb', route: 'POST /get-online-features', entities: 100, features: 50 }, oursLmdb.url, feastRequests(sets100));
    await procs.kill(oursLmdb.child);
    const redis1 = await measure({ id: 'redis-1x50', label: 'ours Redis, 1 x 50', server: 'ours-redis', route: 'POST /v1/online-features', entities: 1, features: 50 }, oursRedis.url, oursRequests(sets1));
    const redis100 = await measure({ id: 'redis-100x50', label: 'ours Redis, 100 x 50', server: 'ours-redis', route: 'POST /v1/online-features', entities: 100, features: 50 }, oursRedis.url, oursRequests(sets100));

    // Feast: peak with each worker count, then latency at half load with the best one per size.
    const feastChecks: Array<{ workers: number } & Comparison> = [];
    const feastTrials: Array<{ workers: number; s1: Scenario; s100: Scenario }> = [];
    for (const workers of feastWorkers) {
      console.error(`feast serve with ${workers} worker(s) …`);
      const feast = await startFeast(workers);
      try {
        feastChecks.push({ workers, ...(await compareFeastShape(oursRedis.url, feast.url, checkSymbols)) });
        const bad = feastChecks[feastChecks.length - 1];
        if (bad.differing > 0) throw new Error(`Feast's answer differs from ours: ${JSON.stringify(bad)}`);
        const s1 = await measure({ id: `feast-w${workers}-1x50`, label: `Feast serve (${workers} worker${workers > 1 ? 's' : ''}), 1 x 50`, server: `feast-w${workers}`, route: 'POST /get-online-features', entities: 1, features: 50 }, feast.url, feastRequests(sets1), false);
        const s100 = await measure({ id: `feast-w${workers}-100x50`, label: `Feast serve (${workers} worker${workers > 1 ? 's' : ''}), 100 x 50`, server: `feast-w${workers}`, route: 'POST /get-online-features', entities: 100, features: 50 }, feast.url, feastRequests(sets100), false);
        feastTrials.push({ workers, s1, s100 });
      } finally {
        await procs.kill(feast.child);
      }
    }
    const best = (pick: (t: (typeof feastTrials)[number]) => Scenario) => feastTrials.reduce((a, b) => (pick(b).peak.rps > pick(a).peak.rps ? b : a));
    const best1 = best((t) => t.s1);
    const best100 = best((t) => t.s100);
    // Latency at half of the best peak, on a freshly started server with the best worker count.
    for (const [size, trial] of [['1x50', best1], ['100x50', best100]] as const) {
      const feast = await startFeast(trial.workers);
      try {
        const s = size === '1x50' ? trial.s1 : trial.s100;
        const requests = feastRequests(size === '1x50' ? sets1 : sets100);
        await peak(feast.url, requests.slice(0, 8), Math.min(connections, 8)); // warm-up
        s.pacedTargetRps = Math.max(1, Math.round(s.peak.rps / 2));
        console.error(`measuring ${s.label} at ${s.pacedTargetRps} req/s …`);
        await waitQuiet();
        const q = await accounted(() => paced(feast.url, requests, s.pacedTargetRps!), pacedSec);
        s.paced = q.value;
        s.otherCpuPct = { ...(s.otherCpuPct ?? { peak: 0, waitedSec: 0 }), paced: q.other };
        console.error(`  at ${s.paced.rps} req/s p50 ${s.paced.p50} ms, p99 ${s.paced.p99} ms`);
      } finally {
        await procs.kill(feast.child);
      }
    }
    const feast1 = best1.s1;
    const feast100 = best100.s100;

    // Goals.
    const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
    const goals = [
      ...([['LMDB', lmdb1], ['Redis', redis1]] as const).map(([b, s]) => ({ goal: `${b} 1 x 50 peak >= 0.5 x trivial route`, value: ratio(s.peak.rps, trivial.peak.rps), target: '>= 0.5', met: s.peak.rps >= 0.5 * trivial.peak.rps, detail: `${s.peak.rps} / ${trivial.peak.rps} req/s` })),
      ...([['LMDB', lmdb1], ['Redis', redis1]] as const).map(([b, s]) => ({ goal: `${b} 1 x 50 peak >= 10 x Feast's`, value: ratio(s.peak.rps, feast1.peak.rps), target: '>= 10', met: s.peak.rps >= 10 * feast1.peak.rps, detail: `${s.peak.rps} / ${feast1.peak.rps} req/s (Feast ${best1.workers} worker(s))` })),
      ...([['LMDB', lmdb100], ['Redis', redis100]] as const).map(([b, s]) => ({ goal: `${b} 100 x 50 p99 < 0.5 x Feast's p99 (each at half its peak)`, value: ratio(s.paced!.p99, feast100.paced!.p99), target: '< 0.5', met: s.paced!.p99 < 0.5 * feast100.paced!.p99, detail: `${s.paced!.p99} / ${feast100.paced!.p99} ms` })),
      ...([['LMDB', lmdb100], ['Redis', redis100]] as const).map(([b, s]) => ({ goal: `${b} 100 x 50 p99 < 0.5 x Feast's p99 (each at its peak)`, value: ratio(s.peak.p99, feast100.peak.p99), target: '< 0.5', met: s.peak.p99 < 0.5 * feast100.peak.p99, detail: `${s.peak.p99} / ${feast100.peak.p99} ms` })),
      ...([['LMDB', lmdb1], ['Redis', redis1]] as const).map(([b, s]) => ({ goal: `${b} 1 x 50 p99 <= 2 ms at half of peak`, value: s.paced!.p99, target: '<= 2 ms', met: s.paced!.p99 <= 2, detail: `at ${s.paced!.rps} req/s` })),
      ...([['LMDB', lmdb100], ['Redis', redis100]] as const).map(([b, s]) => ({ goal: `${b} 100 x 50 p99 <= 10 ms at half of peak`, value: s.paced!.p99, target: '<= 10 ms', met: s.paced!.p99 <= 10, detail: `at ${s.paced!.rps} req/s` })),
    ];

    const command = `npm run bench -- online ${args.join(' ')}`.trim();
    const result = {
      command,
      date: new Date().toISOString(),
      machine: machine(),
      loadAverageAtStart: loadAtStart,
      loadGenerator: `autocannon (programmatic API) in a forked child process on the same ${machine().cpus}-core machine as the servers`,
      data: { symbols, days, endDate: data.marker.endDate, views: benchViews().length, features: 50, service: SERVICE, dataDir: data.dir, redisMaterialiseMs: redisData.ms },
      settings: { connections, connections100, warmupSec, durationSec, pacedSec, pacedInstances, feastWorkersTried: feastWorkers },
      feast: { version: feastSetup.feast, setup: feastSetup, bestWorkers1x50: best1.workers, bestWorkers100x50: best100.workers, serveArgs: `feast serve --no-access-log -w N --max-requests 0 --registry_ttl_sec 3600`, checks: feastChecks },
      checks: { lmdbVsRedis },
      scenarios,
      goals,
    };
    writeResults('online', result, markdown(result, scenarios, trivial, feast1, feast100, goals));
  } finally {
    worker?.close();
    await procs.killAll();
    procs.dispose();
  }
}

async function waitForRedis(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${tail(log)}`);
    if (tail(log).includes('Ready to accept connections')) return;
    await sleep(100);
  }
  throw new Error(`redis-server on ${port} did not start: ${tail(log)}`);
}

function fmt(x: number | undefined): string {
  if (x === undefined || x === null || Number.isNaN(x)) return '';
  return x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function markdown(
  result: { command: string; date: string; machine: Record<string, unknown>; loadAverageAtStart: number[]; loadGenerator: string; data: Record<string, unknown>; settings: Record<string, unknown>; feast: { version: string; bestWorkers1x50: number; bestWorkers100x50: number; serveArgs: string; checks: Array<{ workers: number } & Comparison> }; checks: { lmdbVsRedis: Comparison } },
  scenarios: Scenario[],
  trivial: Scenario,
  feast1: Scenario,
  feast100: Scenario,
  goals: Array<{ goal: string; value: number; target: string; met: boolean; detail: string }>,
): string {
  const vsTrivial = (s: Scenario) => (s.entities === 0 ? '1' : (s.peak.rps / trivial.peak.rps).toFixed(2));
  const vsFeast = (s: Scenario) => {
    if (s.server.startsWith('feast')) return '';
    const f = s.entities === 1 ? feast1 : s.entities === 100 ? feast100 : null;
    return f ? `${(s.peak.rps / f.peak.rps).toFixed(1)}x` : '';
  };
  const p99VsFeast = (s: Scenario) => {
    if (s.server.startsWith('feast') || !s.paced) return '';
    const f = s.entities === 1 ? feast1 : s.entities === 100 ? feast100 : null;
    return f?.paced ? (s.paced.p99 / f.paced.p99).toFixed(3) : '';
  };
  const s = result.settings as { connections: number; connections100: number; warmupSec: number; durationSec: number; pacedSec: number; pacedInstances: number };
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
    ...scenarios.map(
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
    ...goals.map((g) => `| ${g.goal} | ${g.value} | ${g.target} | ${g.met ? 'yes' : '**no**'} | ${g.detail} |`),
  ];
  return lines.join('\n');
}

if (process.env.ONLINE_BENCH_WORKER === '1' && process.send) startWorker();
