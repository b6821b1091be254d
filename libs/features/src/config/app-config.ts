import { resolve } from 'node:path';
import { z } from 'zod';

const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  // Loopback unless asked: without AUTH_KEYS_FILE the API is open to whoever reaches it.
  HOST: z.string().min(1).default('127.0.0.1'),
  AUTH_KEYS_FILE: z.string().min(1).optional(),
  AUTH: z.enum(['on', 'off']).optional(),
  METRICS_PUBLIC: boolFlag.default('false'),
  // Per key; 0 switches a limit off. A key's own `limits` in the keys file wins.
  RATE_LIMIT_RPS: z.coerce.number().min(0).max(1_000_000).default(0),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).optional(),
  RATE_LIMIT_HEAVY: z.coerce.number().int().min(0).max(1000).default(4),
  DATA_DIR: z.string().min(1).default('./data'),
  SAMPLES_DIR: z.string().min(1).default('./data/samples'),
  BODY_LIMIT_MB: z.coerce.number().positive().max(4096).default(256),
  BOOTSTRAP: boolFlag.default('true'),
  BOOTSTRAP_SYMBOLS: z.coerce.number().int().min(0).max(5000).default(20),
  BOOTSTRAP_DAYS: z.coerce.number().int().min(1).max(20000).default(730),
  DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 4GB')
    .optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug']).default('log'),
  MLFLOW_TRACKING_URI: z.string().url().optional(),
  MLFLOW_UI_URL: z.string().url().optional(),
  PUBLIC_BASE_URL: z.string().url().optional(),
  LINEAGE_RETRY_SECONDS: z.coerce.number().positive().max(3600).default(5),
  ONLINE_STORE: z
    .string()
    .regex(/^(lmdb|rediss?:\/\/.+)$/, 'lmdb, or a redis:// URL such as redis://127.0.0.1:6379/0')
    .default('lmdb'),
  ONLINE_MAX_KEYS: z.coerce.number().int().min(1).max(100000).default(1000),
  ONLINE_TIMEOUT_MS: z.coerce.number().int().min(1).max(60000).default(2000),
  REGISTRY_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'a PostgreSQL URL such as postgres://user:pass@host:5432/db')
    .optional(),
  REGISTRY_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600000).default(5000),
  // Background compaction of the lake: how often each process looks (0: never), how long old
  // files stay after a swap for readers that listed them, and the size compacted files grow to.
  LAKE_COMPACTION_INTERVAL_S: z.coerce.number().int().min(0).max(86400).default(300),
  LAKE_COMPACTION_GRACE_S: z.coerce.number().int().min(0).max(604800).default(600),
  LAKE_COMPACTION_MIN_FILES: z.coerce.number().int().min(2).max(1_000_000).default(32),
  LAKE_TARGET_FILE_MB: z.coerce.number().int().min(1).max(8192).default(128),
  LAKE_TARGET_FILE_ROWS: z.coerce.number().int().min(1000).max(1_000_000_000).default(5_000_000),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'a comma-separated list of host:port')
    .default('127.0.0.1:9092'),
});

/** The validated, typed configuration shared by the API and the ingest CLI. */
export interface AppConfig {
  readonly http: { readonly port: number; readonly host: string; readonly bodyLimitBytes: number };
  readonly dataDir: string;
  readonly bootstrap: { readonly enabled: boolean; readonly samplesDir: string; readonly symbols: number; readonly days: number };
  readonly duckdb: { readonly threads?: number; readonly memoryLimit?: string };
  readonly logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** MLflow tracking server that run links are also logged to, and how often failed ones are retried. */
  readonly lineage: { readonly mlflowTrackingUri?: string; readonly publicBaseUrl: string; readonly retrySeconds: number; /** Where people open MLflow runs (the catalog UI links runs there); unset: no links. */ readonly mlflowUiUrl?: string };
  /** Online store: `lmdb` (embedded, DATA_DIR/online) or a Redis URL; keys allowed per lookup; Redis command timeout. */
  readonly online: { readonly store: string; readonly maxKeys: number; readonly timeoutMs: number };
  /**
   * The registry: embedded LMDB under DATA_DIR/registry without a URL, else PostgreSQL at `url`
   * with a pool of `poolSize` connections and `timeoutMs` per connect and statement.
   */
  readonly registry: RegistryConfig;
  /** Kafka bootstrap brokers of the stream worker. */
  readonly kafka: { readonly brokers: readonly string[] };
  /**
   * Access control: the keys file (absolute path; none means every request is allowed), AUTH as
   * given (`off` allows a non-loopback bind without keys; `on` demands a keys file), and whether
   * /health and /metrics are open.
   */
  readonly auth: { readonly keysFile?: string; readonly mode?: 'on' | 'off'; readonly metricsPublic: boolean };
  /**
   * Per-key limits (0 = none): requests per second with a burst (token bucket), and concurrent
   * heavy requests (training sets and their data, materialisation jobs).
   */
  readonly limits: RateLimits;
  /** Lake compaction (libs/features/src/lake/lake-compaction.service.ts). */
  readonly lake: LakeConfig;
}

/** Background compaction and compacted file size (see AppConfig.lake). */
export interface LakeConfig {
  /** How often a process looks for partitions to compact; 0 switches background compaction off. */
  readonly compactionIntervalMs: number;
  /** How long replaced files stay after a swap (readers that listed them finish). */
  readonly graceMs: number;
  /** A partition is compacted in the background once it holds this many small files. */
  readonly minSmallFiles: number;
  readonly targetBytes: number;
  readonly targetRows: number;
}

/** Where the registry lives (see AppConfig.registry). */
export interface RegistryConfig {
  readonly url?: string;
  readonly poolSize: number;
  readonly timeoutMs: number;
}

/** Limits of one key; the keys file may give a key its own. */
export interface RateLimits {
  readonly rps: number;
  readonly burst: number;
  readonly heavy: number;
}

/** Raised at start-up when an environment variable is invalid; names every bad variable. */
export class ConfigError extends Error {}

/** Validates the environment once and maps it into an AppConfig; throws ConfigError naming the bad variables. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  return {
    http: { port: c.PORT, host: c.HOST, bodyLimitBytes: Math.round(c.BODY_LIMIT_MB * 1024 * 1024) },
    dataDir: resolve(c.DATA_DIR),
    bootstrap: { enabled: c.BOOTSTRAP, samplesDir: resolve(c.SAMPLES_DIR), symbols: c.BOOTSTRAP_SYMBOLS, days: c.BOOTSTRAP_DAYS },
    duckdb: { threads: c.DUCKDB_THREADS, memoryLimit: c.DUCKDB_MEMORY_LIMIT },
    logLevel: c.LOG_LEVEL,
    lineage: {
      mlflowTrackingUri: c.MLFLOW_TRACKING_URI,
      mlflowUiUrl: c.MLFLOW_UI_URL?.replace(/\/+$/, ''),
      publicBaseUrl: c.PUBLIC_BASE_URL ?? `http://localhost:${c.PORT}`,
      retrySeconds: c.LINEAGE_RETRY_SECONDS,
    },
    online: { store: c.ONLINE_STORE, maxKeys: c.ONLINE_MAX_KEYS, timeoutMs: c.ONLINE_TIMEOUT_MS },
    registry: { url: c.REGISTRY_URL, poolSize: c.REGISTRY_POOL_SIZE, timeoutMs: c.REGISTRY_TIMEOUT_MS },
    kafka: { brokers: c.KAFKA_BROKERS.split(',') },
    auth: { keysFile: c.AUTH_KEYS_FILE === undefined ? undefined : resolve(c.AUTH_KEYS_FILE), mode: c.AUTH, metricsPublic: c.METRICS_PUBLIC },
    // One second's worth of requests by default, so a steady client at the rate never waits.
    limits: { rps: c.RATE_LIMIT_RPS, burst: c.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(c.RATE_LIMIT_RPS)), heavy: c.RATE_LIMIT_HEAVY },
    lake: {
      compactionIntervalMs: c.LAKE_COMPACTION_INTERVAL_S * 1000,
      graceMs: c.LAKE_COMPACTION_GRACE_S * 1000,
      minSmallFiles: c.LAKE_COMPACTION_MIN_FILES,
      targetBytes: c.LAKE_TARGET_FILE_MB * 1024 * 1024,
      targetRows: c.LAKE_TARGET_FILE_ROWS,
    },
  };
}
