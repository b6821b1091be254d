import type { AuditedLocalWrite } from '../audit/audit.service';
import type { AuditEntry } from '../registry/audit.repository';
import { StreamBatchAudit } from './stream-batch.audit';

const where = { topic: 'bars', dataset: 'bars_1d' };

describe('StreamBatchAudit: one local entry per written batch, never failing it', () => {
  it('records a batch that wrote or dead-lettered something, with its counts', async () => {
    const written: AuditedLocalWrite[] = [];
    const audit = new StreamBatchAudit({
        recordLocal: async (w) => {
          written.push(w);
          return { seq: written.length, at: '', keyId: 'local', route: w.command, targets: w.targets, counts: w.counts, outcome: 'accepted', status: 0 } satisfies AuditEntry;
        },
      }, where, { auditFailures: 0 }, () => undefined);
    await audit.record({ messages: 5, accepted: 3, rejected: 2, alreadyStored: 0 });
    await audit.record({ messages: 4, accepted: 0, rejected: 0, alreadyStored: 4 }); // re-deliveries only: nothing changed
    await audit.record({ messages: 1, accepted: 0, rejected: 1, alreadyStored: 0 });
    expect(written).toEqual([
      { command: 'stream bars', targets: ['bars_1d'], counts: { messages: 5, accepted: 3, rejected: 2, alreadyStored: 0 } },
      { command: 'stream bars', targets: ['bars_1d'], counts: { messages: 1, accepted: 0, rejected: 1, alreadyStored: 0 } },
    ]);
  });

  it('counts and reports a failed append instead of throwing', async () => {
    const totals = { auditFailures: 0 };
    const reported: string[] = [];
    const audit = new StreamBatchAudit({ recordLocal: () => Promise.reject(new Error('MDB_MAP_FULL')) }, where, totals, (m) => reported.push(m));
    await expect(audit.record({ messages: 2, accepted: 2, rejected: 0, alreadyStored: 0 })).resolves.toBeUndefined();
    await audit.record({ messages: 1, accepted: 1, rejected: 0, alreadyStored: 0 });
    expect(totals.auditFailures).toBe(2);
    expect(reported).toEqual(['MDB_MAP_FULL', 'MDB_MAP_FULL']);
    expect(audit.lastError).toBe('MDB_MAP_FULL');
  });

  it('records nothing without an audit trail', async () => {
    const totals = { auditFailures: 0 };
    await new StreamBatchAudit(null, where, totals, () => undefined).record({ messages: 1, accepted: 1, rejected: 0, alreadyStored: 0 });
    expect(totals.auditFailures).toBe(0);
  });
});
