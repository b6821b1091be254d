import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@app/features';

/** A request the auth guard refused (what it hands to `AuthEvents.denied`). */
export interface DeniedEvent {
  readonly keyId: string | null;
  /** The route pattern, e.g. `/v1/datasets/:name/rows` (or the raw path when no route matched). */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly reason: string;
}

/**
 * The audit trail's side of the auth guard's events: every 401/403 becomes a `denied` entry. The
 * lead binds it as the guard's `AuthEvents` provider; the guard awaits it, so the entry is in the
 * trail before the refusal is answered.
 */
@Injectable()
export class AuditAuthEvents {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  async denied(event: DeniedEvent): Promise<void> {
    await this.audit.recordDenied({
      keyId: event.keyId ?? 'anonymous',
      route: `${event.method} ${event.route}`,
      status: event.status,
      reason: event.reason.slice(0, 500),
    });
  }
}
