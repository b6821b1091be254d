import type { RootDatabase } from 'lmdb';
import type { LeaseOwner, MaterializationRepository, MaterializationState } from '../materialization.repository';
import { padded } from './lmdb-keys';

/** MaterializationRepository in the registry's LMDB environment. */
export class LmdbMaterializationRepository implements MaterializationRepository {
  constructor(private readonly db: RootDatabase) {}

  async getMaterialization(name: string, version: number): Promise<MaterializationState | undefined> {
    return this.db.get(`materialized/${name}/${padded(version, 8)}`) as MaterializationState | undefined;
  }

  async setMaterialization(name: string, version: number, state: MaterializationState): Promise<void> {
    await this.db.put(`materialized/${name}/${padded(version, 8)}`, state);
  }

  async acquireLease(name: string, owner: LeaseOwner, isAlive: (holder: LeaseOwner) => boolean): Promise<LeaseOwner | null> {
    return this.db.transactionSync(() => {
      const holder = this.db.get(`lease/${name}`) as LeaseOwner | undefined;
      if (holder && holder.instance !== owner.instance && isAlive(holder)) return holder;
      this.db.putSync(`lease/${name}`, owner);
      return null;
    });
  }

  async releaseLease(name: string, owner: LeaseOwner): Promise<void> {
    await this.db.transaction(() => {
      const holder = this.db.get(`lease/${name}`) as LeaseOwner | undefined;
      if (holder?.instance === owner.instance) this.db.removeSync(`lease/${name}`);
    });
  }
}
