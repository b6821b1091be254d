import { join } from 'node:path';
import type { AuditEntry } from '../registry/audit.repository';
import { LmdbRegistry } from '../registry/drivers/lmdb.registry';
import { systemClock } from '../util/clock';
import { AuditService, type AuditedLocalWrite } from './audit.service';

/**
 * Records one write of an operator's tool that does not open the whole store (`keys create`) in
 * the audit trail of the registry under `dataDir`, and closes the registry again.
 */
export async function recordLocalWrite(dataDir: string, write: AuditedLocalWrite): Promise<AuditEntry> {
  const registry = LmdbRegistry.open(join(dataDir, 'registry'));
  try {
    return await new AuditService(registry.audit, systemClock).recordLocal(write);
  } finally {
    await registry.close();
  }
}
