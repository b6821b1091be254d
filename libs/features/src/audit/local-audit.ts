import type { AppConfig } from '../config/app-config';
import type { AuditEntry } from '../registry/audit.repository';
import { openRegistry } from '../registry/open-registry';
import { systemClock } from '../util/clock';
import { AuditService, type AuditedLocalWrite } from './audit.service';

/**
 * Records one write of an operator's tool that does not open the whole store (`keys create`) in
 * the audit trail of the configured registry (DATA_DIR's, or PostgreSQL at REGISTRY_URL), and
 * closes the registry again.
 */
export async function recordLocalWrite(config: Pick<AppConfig, 'dataDir' | 'registry'>, write: AuditedLocalWrite): Promise<AuditEntry> {
  const registry = await openRegistry(config);
  try {
    return await new AuditService(registry.audit, systemClock).recordLocal(write);
  } finally {
    await registry.close();
  }
}
