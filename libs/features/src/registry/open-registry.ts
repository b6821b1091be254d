import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { LmdbRegistry } from './drivers/lmdb.registry';
import { PgRegistry } from './drivers/postgres/pg.registry';
import type { Registry } from './registry';
import type { RegistryDump } from './registry-dump';

/**
 * The registry the configuration names: PostgreSQL at REGISTRY_URL (shared by replicas on
 * several machines), else the embedded LMDB environment under DATA_DIR/registry.
 */
export async function openRegistry(config: Pick<AppConfig, 'dataDir' | 'registry'>): Promise<Registry & RegistryDump> {
  const { url, poolSize, timeoutMs } = config.registry;
  if (url !== undefined) return PgRegistry.open({ url, poolSize, timeoutMs });
  return LmdbRegistry.open(join(config.dataDir, 'registry'));
}

/** Where the configured registry lives, for messages (never a password). */
export function registryLocation(config: Pick<AppConfig, 'dataDir' | 'registry'>): string {
  if (config.registry.url === undefined) return join(config.dataDir, 'registry');
  const url = new URL(config.registry.url);
  return `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`;
}
