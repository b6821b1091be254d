import type { RootDatabase } from 'lmdb';
import type { AuditEntry, AuditQuery, AuditRepository, NewAuditEntry } from '../audit.repository';
import { padded } from './lmdb-keys';

const COUNTER = 'audit-seq';
const PREFIX = 'audit/';
const entryKey = (seq: number) => `${PREFIX}${padded(seq, 15)}`;

/** AuditRepository in the registry's LMDB environment: entries keyed by their zero-padded seq. */
export class LmdbAuditRepository implements AuditRepository {
  constructor(private readonly db: RootDatabase) {}

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.db.transactionSync(() => {
      const seq = ((this.db.get(COUNTER) as number | undefined) ?? 0) + 1;
      const stored: AuditEntry = { seq, ...entry };
      this.db.putSync(COUNTER, seq);
      this.db.putSync(entryKey(seq), stored);
      return stored;
    });
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const since = query.since?.getTime();
    const out: AuditEntry[] = [];
    // A scan from the cursor: the filters are checked entry by entry (an admin's occasional
    // read; a key-id index would be worth it only for a very long trail).
    for (const { value } of this.db.getRange({ start: entryKey((query.after ?? 0) + 1), end: `${PREFIX}\uffff` })) {
      const entry = value as AuditEntry;
      if (query.keyId !== undefined && entry.keyId !== query.keyId) continue;
      if (since !== undefined && Date.parse(entry.at) < since) continue;
      out.push(entry);
      if (out.length >= query.limit) break;
    }
    return out;
  }
}
