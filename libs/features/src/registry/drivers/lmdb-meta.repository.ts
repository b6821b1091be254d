import type { RootDatabase } from 'lmdb';
import type { MetaRepository } from '../meta.repository';

/** MetaRepository in the registry's LMDB environment. */
export class LmdbMetaRepository implements MetaRepository {
  constructor(private readonly db: RootDatabase) {}

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.db.get(`meta/${key}`) as T | undefined;
  }

  async setMeta<T>(key: string, value: T): Promise<void> {
    await this.db.put(`meta/${key}`, value);
  }
}
