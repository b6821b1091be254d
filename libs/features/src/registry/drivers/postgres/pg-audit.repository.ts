import type { AuditEntry, AuditQuery, AuditRepository, NewAuditEntry } from '../../audit.repository';
import { padded } from '../lmdb-keys';
import { PgKv, prefixEnd } from './pg-kv';
import type { PgPool } from './pg.pool';

const COUNTER = 'audit-seq';
const PREFIX = 'audit/';
const entryKey = (seq: number) => `${PREFIX}${padded(seq, 15)}`;

/**
 * AuditRepository in PostgreSQL (registry_audit). The seq comes from a counter row incremented
 * in the appending transaction (not a SEQUENCE): its row lock holds the next appender until the
 * commit, so seqs are gapless and become visible in order across every replica.
 */
export class PgAuditRepository implements AuditRepository {
  private readonly kv = new PgKv('registry_audit');

  constructor(private readonly pool: PgPool) {}

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.pool.tx(async (q) => {
      const seq = await this.kv.increment(q, COUNTER);
      const stored: AuditEntry = { seq, ...entry };
      await this.kv.put(q, entryKey(seq), stored);
      return stored;
    });
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    // The filters run in PostgreSQL (registry_audit_key_id serves the key id).
    const rows = await this.pool.query<{ value: AuditEntry }>(
      `SELECT value FROM registry_audit
        WHERE key >= $1 AND key < $2
          AND ($3::text IS NULL OR value->>'keyId' = $3)
          AND ($4::timestamptz IS NULL OR (value->>'at')::timestamptz >= $4)
        ORDER BY key LIMIT $5`,
      [entryKey((query.after ?? 0) + 1), prefixEnd(PREFIX), query.keyId ?? null, query.since?.toISOString() ?? null, query.limit],
    );
    return rows.map((r) => r.value);
  }
}
