import type { MetaRepository } from '../../meta.repository';
import { PgKv } from './pg-kv';
import type { PgPool } from './pg.pool';

/** MetaRepository in PostgreSQL (registry_meta). */
export class PgMetaRepository implements MetaRepository {
  private readonly kv = new PgKv('registry_meta');

  constructor(private readonly pool: PgPool) {}

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.kv.get<T>(this.pool, `meta/${key}`);
  }

  async setMeta<T>(key: string, value: T): Promise<void> {
    await this.kv.put(this.pool, `meta/${key}`, value);
  }
}
