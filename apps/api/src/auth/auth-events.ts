import { Injectable } from '@nestjs/common';

/** A request the AuthGuard refused. `keyId` is null when no known key was presented. */
export interface AuthDenial {
  readonly keyId: string | null;
  readonly route: string;
  readonly method: string;
  readonly status: 401 | 403;
  readonly reason: string;
}

/**
 * What the AuthGuard tells about refused requests (the audit log subscribes here). The default
 * does nothing; another implementation is bound to the same class token.
 */
@Injectable()
export class AuthEvents {
  denied(_denial: AuthDenial): void | Promise<void> {}
}

/** Tells `events` of a refusal without holding up the answer; a failure to record is logged. */
export function reportDenial(events: AuthEvents, denial: AuthDenial, logger: { warn(message: string): void }): void {
  Promise.resolve()
    .then(() => events.denied(denial))
    .catch((error: unknown) => logger.warn(`could not record a refused request: ${(error as Error).message}`));
}
