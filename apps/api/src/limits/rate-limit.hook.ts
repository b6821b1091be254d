import { Logger } from '@nestjs/common';
import type { RateLimits } from '@app/features';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../common/error.filter';
import { limitsOf } from './key-limits';
import { RequestRateLimiter } from './request-rate.limiter';

// Probes must not be refused because a client spent the anonymous budget (auth off).
const UNLIMITED_ROUTES = new Set(['/health/live']);

/**
 * Spends one request of the caller's key before the body is read, so a flood costs no parsing.
 * Runs after the auth hook: a request is limited by the key it authenticated with, or as
 * `anonymous` when auth is off. Requests without a valid key are refused by auth, not counted.
 */
export function registerRateLimitHook(fastify: FastifyInstance, defaults: RateLimits, authOn: boolean, limiter = new RequestRateLimiter()): void {
  if (defaults.rps <= 0 && !authOn) return;
  const logger = new Logger('RateLimit');
  fastify.addHook('onRequest', (request, reply, done) => {
    const keyId = request.apiKey?.id ?? (authOn ? undefined : 'anonymous');
    if (keyId === undefined || UNLIMITED_ROUTES.has(request.routeOptions.url ?? '')) return done();
    try {
      limiter.take(keyId, limitsOf(request.apiKey, defaults));
    } catch (error) {
      return sendError(error, request, reply, logger);
    }
    done();
  });
}
