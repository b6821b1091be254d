import { Controller, Get, Inject, Query } from '@nestjs/common';
import { AuditService, type AuditEntry } from '@app/features';
import { z } from 'zod';
import { Scope } from '../auth/scope.decorator';
import { ZodPipe } from '../common/zod.pipe';
import { utcTime } from '../common/params';

/** GET /v1/audit: `since` (time), `keyId`, `after` (the previous page's `next`), `limit` (1..1000, default 100). */
export const auditQuery = z
  .object({
    since: utcTime.optional(),
    keyId: z.string().min(1).max(200).optional(),
    after: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** The audit trail, in pages (admin). */
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  /** `next` is the cursor of the following page, null when this page is the last. */
  @Scope('admin')
  @Get()
  async list(@Query(new ZodPipe(auditQuery)) query: z.infer<typeof auditQuery>): Promise<{ entries: AuditEntry[]; next: number | null }> {
    const entries = await this.audit.list({ since: query.since, keyId: query.keyId, after: query.after, limit: query.limit });
    return { entries, next: entries.length === query.limit ? entries[entries.length - 1].seq : null };
  }
}
