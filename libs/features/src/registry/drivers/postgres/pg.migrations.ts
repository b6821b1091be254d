import type { PgTable } from './pg-kv';
import type { PgPool } from './pg.pool';

/** One schema step; versions count up from 1 and a step, once released, never changes. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: readonly string[];
}

const TABLES: readonly PgTable[] = [
  'registry_datasets',
  'registry_definitions',
  'registry_materializations',
  'registry_training_sets',
  'registry_runs',
  'registry_jobs',
  'registry_streams',
  'registry_meta',
  'registry_audit',
  'registry_monitors',
];

/** Every step, in order. Add a step at the end; never edit one that has been released. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'one key/value table per aggregate, keys in byte order',
    sql: [
      ...TABLES.map((t) => `CREATE TABLE ${t} (key text COLLATE "C" PRIMARY KEY, value json NOT NULL)`),
      // The audit trail is read by key id (an admin's filter) far down a long trail.
      `CREATE INDEX registry_audit_key_id ON registry_audit ((value->>'keyId'), key)`,
    ],
  },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

// One constant key for every process of every deployment: migrations run one process at a time.
const MIGRATION_LOCK = 7_318_420_186;

/** The database holds a schema newer than this code: an older release must not write to it. */
export class RegistrySchemaTooNewError extends Error {}

/**
 * Brings the schema up to SCHEMA_VERSION, one process at a time (a session advisory lock; a
 * second process waits, then finds nothing to do). Refuses a database migrated by newer code.
 * Returns the versions it applied.
 */
export async function migrate(pool: PgPool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const known = migrations[migrations.length - 1].version;
  const client = await pool.dedicatedClient({ statementTimeout: false });
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const current = Number((await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0].v ?? 0);
    if (current > known) {
      throw new RegistrySchemaTooNewError(
        `registry at PostgreSQL ${pool.where} has schema version ${current}, newer than this code knows (${known}): upgrade the feature store before starting it on this database`,
      );
    }
    const applied: number[] = [];
    for (const step of migrations.filter((m) => m.version > current)) {
      await client.query('BEGIN');
      try {
        for (const statement of step.sql) await client.query(statement);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [step.version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`registry migration ${step.version} (${step.description}) failed: ${(error as Error).message}`);
      }
      applied.push(step.version);
    }
    return applied;
  } catch (error) {
    throw pool.mapped(error);
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => undefined);
  }
}
