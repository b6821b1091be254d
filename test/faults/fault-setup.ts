import { FixedClock, SyntheticProvider, applyCatalog, marketCatalog } from '@app/features';
import { Cluster } from '../support/cluster';
import { openStore, tempDataDir } from '../support/helpers';
import { startRedis, type TestRedis } from '../support/redis.server';
import { startPostgres, type TestPostgres } from '../support/postgres.server';

/*
 * What the fault tests share: the registry they run on and the data they start from. Each
 * scenario runs on the shared deployment of issue 18: a PostgreSQL registry (a throwaway server
 * of Debian's package, as test/support/postgres.server.ts starts it) that every process (the
 * seeding one here and each replica and worker, which inherit the environment) uses;
 * FAULTS_REGISTRY=embedded runs them on the embedded registry (LMDB in DATA_DIR) instead, which
 * several processes of one machine may share too.
 */

/** The registry of one fault-test file: its environment for every process, and its server. */
export interface FaultRegistry {
  readonly env: Record<string, string>;
  /** The PostgreSQL server (null on the embedded registry): a scenario may stop and start it. */
  readonly postgres: TestPostgres | null;
  close(): Promise<void>;
}

/** Starts the registry a fault-test file runs on (see above). */
export async function startFaultRegistry(): Promise<FaultRegistry> {
  if (process.env.FAULTS_REGISTRY === 'embedded') return { env: {}, postgres: null, close: async () => undefined };
  const postgres = await startPostgres();
  return { env: { REGISTRY_URL: postgres.url }, postgres, close: () => postgres.close() };
}

/** A seeded deployment: a data folder, its registry, one Redis and two API replicas `a` and `b`. */
export interface TwoReplicas {
  readonly tmp: ReturnType<typeof tempDataDir>;
  readonly registry: FaultRegistry;
  readonly redis: TestRedis;
  readonly cluster: Cluster;
  /** Stops the replicas and the services, removes the folder. */
  stop(): Promise<void>;
}

/** What most fault files start from: `seedSharedStore`, then replicas `a` and `b` on it. */
export async function startTwoReplicas(): Promise<TwoReplicas> {
  const tmp = tempDataDir();
  const registry = await startFaultRegistry();
  // Append-only file with fsync per write (the test server's default): what it acknowledged survives a restart.
  const redis = await startRedis();
  let cluster: Cluster | undefined;
  const stop = async () => {
    await cluster?.stop();
    await redis.close();
    await registry.close();
    tmp.cleanup();
  };
  try {
    const env = { ONLINE_STORE: redis.url, ...registry.env };
    await seedSharedStore(tmp.dir, env);
    cluster = await Cluster.start({ dataDir: tmp.dir, env, apis: ['a', 'b'] });
    return { tmp, registry, redis, cluster, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const SYMBOLS = ['SYN0001', 'SYN0002', 'SYN0003', 'SYN0004'];
/** The views materialised by `seedSharedStore` (online lookups read them). */
export const SERVED_VIEWS = ['returns', 'trend'];
/** A view applied but left unmaterialised (a scenario materialises it). */
export const UNMATERIALISED_VIEW = 'volatility';

/** An online lookup of the served views, as the load sends it. */
export const LOOKUP = { features: ['returns:ret_1d', 'returns:ret_5d', 'trend:macd', 'trend:rsi_14'], entities: { symbol: [...SYMBOLS, 'NOPE'] } };

/**
 * A data folder as a deployment has it before its processes start: 4 synthetic symbols of 120
 * daily bars, the market catalog applied, the served views materialised into `env`'s online store.
 */
export async function seedSharedStore(dataDir: string, env: Record<string, string>): Promise<void> {
  const store = await openStore(dataDir, new FixedClock(new Date('2026-01-01T12:00:00Z')), env);
  try {
    await store.ingest.run(new SyntheticProvider({ symbols: SYMBOLS.length, days: 120, seed: 7, endDate: new Date('2026-01-01T00:00:00Z'), gapRate: 0 }), { dataset: 'bars_1d', createAs: 'bars' });
    await applyCatalog(store.features, marketCatalog);
    for (const view of SERVED_VIEWS) await store.materializer.run({ view });
  } finally {
    await store.close();
  }
}

/** Calls an API replica with a JSON body; `body` is loosely typed because tests probe shapes. */
export async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const started = Date.now();
  const res = await fetch(`${base}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: Date.now() - started };
}
