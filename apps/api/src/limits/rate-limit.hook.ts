import { Logger } from '@nestjs/common';
import type { ApiKeyEntry, RateLimits } from '@app/features';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../common/error.filter';
import { limitsOf } from './key-limits';
import { RequestRateLimiter } from './request-rate.limiter';

// Probes must not be refused because a client spent the anonymous budget (auth off).
const UNLIMITED_ROUTES = new Set(['/health/live']);

/**
 * Spends one request of a key before the body is read, so a flood costs no parsing. With keys,
 * the auth hook calls it right after it has verified the key (one hook per request, not two);
 * without keys every client is `anonymous` and `registerAnonymousRateLimit` installs it alone.
 */
export class RequestBudget {
  private readonly logger = new Logger('RateLimit');

  constructor(
    private readonly defaults: RateLimits,
    private readonly limiter = new RequestRateLimiter(),
  ) {}

  /** False (and the 429 sent) when `keyId` is over its rate. */
  spend(request: FastifyRequest, reply: FastifyReply, keyId: string, entry: ApiKeyEntry | undefined): boolean {
    if (UNLIMITED_ROUTES.has(request.routeOptions.url ?? '')) return true;
    try {
      this.limiter.take(keyId, limitsOf(entry, this.defaults));
      return true;
    } catch (error) {
      sendError(error, request, reply, this.logger);
      return false;
    }
  }
}

/** Without keys: one budget for every client (`anonymous`), only when RATE_LIMIT_RPS is set. */
export function registerAnonymousRateLimit(fastify: FastifyInstance, defaults: RateLimits, budget = new RequestBudget(defaults)): void {
  if (defaults.rps <= 0) return;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (budget.spend(request, reply, 'anonymous', undefined)) done();
  });
}
