import { DuckDBInstance } from '@duckdb/node-api';
import { sql } from '../sql/sql';

/** How a DuckDB engine is set up: the main engine and the feature-SQL sandbox differ only in these. */
export interface EngineSettings {
  readonly threads?: number;
  readonly memoryLimit?: string;
  readonly tempDirectory?: string;
  /**
   * Confines the engine to these folders: no other file, no network, and the configuration
   * locked, so SQL run on it (feature SQL is user input) cannot undo any of it.
   */
  readonly confineTo?: readonly string[];
}

/**
 * Opens an in-memory DuckDB (the lake is Parquet on disk, so every process opens its own engine
 * and nothing holds a file lock) with all times in UTC and no extension installed or loaded on
 * demand (what the store uses is built in; an autoload would reach the network).
 */
export async function openEngine(settings: EngineSettings): Promise<DuckDBInstance> {
  const config: Record<string, string> = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };
  if (settings.threads) config.threads = String(settings.threads);
  if (settings.memoryLimit) config.memory_limit = settings.memoryLimit;
  if (settings.tempDirectory) config.temp_directory = settings.tempDirectory;
  const instance = await DuckDBInstance.create(':memory:', config);
  // TimeZone needs ICU, which loads with the first connection, so it cannot be part of `config`;
  // set globally it holds for every later session. The lock comes last: it freezes all of it.
  const setup = await instance.connect();
  try {
    await setup.run("SET GLOBAL TimeZone = 'UTC'");
    if (settings.confineTo) {
      const folders = settings.confineTo.map((d) => (d.endsWith('/') ? d : `${d}/`));
      const { text, params } = sql`SET GLOBAL allowed_directories = ${folders}`.render();
      await setup.run(text, params);
      await setup.run('SET GLOBAL enable_external_access = false');
      await setup.run('SET GLOBAL lock_configuration = true');
    }
  } catch (error) {
    setup.closeSync();
    instance.closeSync();
    throw error;
  }
  setup.closeSync();
  return instance;
}
