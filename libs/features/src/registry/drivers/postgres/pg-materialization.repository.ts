import type { Client } from 'pg';
import type { LeaseOwner, MaterializationRepository, MaterializationState } from '../../materialization.repository';
import { padded } from '../lmdb-keys';
import { PgKv } from './pg-kv';
import { LEASE_LOCK_CLASS, queryable, type PgPool } from './pg.pool';

interface HeldLease {
  readonly owner: LeaseOwner;
  readonly client: Client;
}

/**
 * MaterializationRepository in PostgreSQL (registry_materializations).
 *
 * Leases are session-level advisory locks, each held on a connection of its own for the lease's
 * life. Replicas run on several machines, so a pid says nothing about another machine's process;
 * a connection does: when the holder dies (SIGKILL, a lost machine) its connection drops and
 * PostgreSQL frees the lock at once, with no expiry to wait for and no heartbeat to keep up.
 * So `isAlive` is not consulted: the lock is the proof of life. The `lease/<name>` row only
 * tells a refused caller who holds the lease (a dead holder's row is overwritten by the next).
 * The cost is one connection per running materialisation, outside the pool. Should the holder's
 * own connection break while it works, the lease is gone with it: the holder is told nothing,
 * as with an expired row (a materialisation written twice writes the same rows).
 */
export class PgMaterializationRepository implements MaterializationRepository {
  private readonly kv = new PgKv('registry_materializations');
  private readonly held = new Map<string, HeldLease>();

  constructor(private readonly pool: PgPool) {}

  async getMaterialization(name: string, version: number): Promise<MaterializationState | undefined> {
    return this.kv.get<MaterializationState>(this.pool, `materialized/${name}/${padded(version, 8)}`);
  }

  async setMaterialization(name: string, version: number, state: MaterializationState): Promise<void> {
    await this.kv.put(this.pool, `materialized/${name}/${padded(version, 8)}`, state);
  }

  async acquireLease(name: string, owner: LeaseOwner, _isAlive: (holder: LeaseOwner) => boolean): Promise<LeaseOwner | null> {
    const mine = this.held.get(name);
    if (mine) return mine.owner.instance === owner.instance ? null : mine.owner;
    const client = await this.pool.dedicatedClient();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [LEASE_LOCK_CLASS, name]);
      // Another call of this process may have taken the lease while this one connected.
      const taken = this.held.get(name);
      if (!rows[0].ok || taken) {
        await client.end().catch(() => undefined);
        if (taken) return taken.owner.instance === owner.instance ? null : taken.owner;
        // Between another holder's lock and its row there is an instant with no row.
        return (await this.kv.get<LeaseOwner>(this.pool, `lease/${name}`)) ?? { pid: 0, instance: 'unknown', since: new Date().toISOString() };
      }
      this.held.set(name, { owner, client });
      // A broken connection has lost the lock with it: the lease is no longer this process's.
      client.on('error', () => {
        if (this.held.get(name)?.client === client) this.held.delete(name);
      });
      await this.kv.put(queryable(client), `lease/${name}`, owner);
      return null;
    } catch (error) {
      if (this.held.get(name)?.client === client) this.held.delete(name);
      await client.end().catch(() => undefined);
      throw this.pool.mapped(error);
    }
  }

  async releaseLease(name: string, owner: LeaseOwner): Promise<void> {
    const mine = this.held.get(name);
    if (!mine || mine.owner.instance !== owner.instance) return;
    this.held.delete(name);
    // A failed delete (PostgreSQL went away meanwhile) must not fail the work that held the
    // lease: ending the session frees the lock, and a stale row only names a former holder.
    await mine.client.query(`DELETE FROM registry_materializations WHERE key = $1 AND value->>'instance' = $2`, [`lease/${name}`, owner.instance]).catch(() => undefined);
    await mine.client.end().catch(() => undefined);
  }

  /** Ends the connections of leases still held (the process is closing its registry). */
  async close(): Promise<void> {
    const leases = [...this.held.values()];
    this.held.clear();
    await Promise.all(leases.map((l) => l.client.end().catch(() => undefined)));
  }
}
