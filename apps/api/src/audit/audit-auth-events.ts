import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@app/features';
import { AuthEvents } from '../auth/auth-events';

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
 * The audit trail's side of the auth guard's events: every 401/403 becomes a `denied` entry
 * (bound as AuthEvents in AppModule; recorded beside the answer, not before it).
 */
@Injectable()
export class AuditAuthEvents extends AuthEvents {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {
    super();
  }

  override async denied(event: DeniedEvent): Promise<void> {
    await this.audit.recordDenied({
      keyId: event.keyId ?? 'anonymous',
      route: `${event.method} ${event.route}`,
      status: event.status,
      reason: event.reason.slice(0, 500),
    });
  }
}
