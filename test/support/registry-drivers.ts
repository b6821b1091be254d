import { join } from 'node:path';
import { LmdbRegistry, PgRegistry, type Registry, type RegistryDump } from '@app/features';
import { tempDataDir } from './helpers';
import { startPostgres, type TestPostgres } from './postgres.server';

/** One empty registry, opened as often as a test likes (each handle a process would hold). */
export interface RegistryHome {
  open(): Promise<Registry & RegistryDump>;
}

/** A registry driver for contract tests: `fresh()` hands out a new empty registry. */
export interface RegistryDriver {
  readonly name: 'lmdb' | 'postgres';
  setup(): Promise<void>;
  fresh(): Promise<RegistryHome>;
  teardown(): Promise<void>;
}

/** The embedded driver: a new LMDB folder per registry. */
export function lmdbDriver(): RegistryDriver {
  const dirs: Array<{ cleanup: () => void }> = [];
  return {
    name: 'lmdb',
    async setup() {},
    async fresh() {
      const tmp = tempDataDir('fs-registry-');
      dirs.push(tmp);
      return { open: async () => LmdbRegistry.open(join(tmp.dir, 'registry')) };
    },
    async teardown() {
      for (const d of dirs) d.cleanup();
    },
  };
}

/** The PostgreSQL driver: one throwaway server per test file, a new database per registry. */
export function postgresDriver(): RegistryDriver & { server(): TestPostgres } {
  let server: TestPostgres | undefined;
  let n = 0;
  return {
    name: 'postgres',
    server: () => server!,
    async setup() {
      server = await startPostgres();
    },
    async fresh() {
      const url = await server!.createDatabase(`registry_${++n}`);
      return { open: async () => PgRegistry.open({ url, poolSize: 4, timeoutMs: 3000 }) };
    },
    async teardown() {
      await server?.close();
    },
  };
}
