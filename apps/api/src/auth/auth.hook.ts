import { Logger } from '@nestjs/common';
import { UnauthenticatedError, type ApiKeyStore } from '@app/features';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../common/error.filter';
import { RequestBudget } from '../limits/rate-limit.hook';
import { reportDenial, type AuthEvents } from './auth-events';
import { authenticate, denialOf } from './auth.guard';

/**
 * Authenticates every request that carries a key before its body is read, and spends one request
 * of the key's rate (RequestBudget). Refuses a request that carries a body but no valid key at once:
 * otherwise an anonymous client could make the server parse up to BODY_LIMIT_MB, and learn from a
 * 400 or 413 what the route expects. Every route with a body needs a key, so no scope is needed
 * here; the AuthGuard still decides everything else (bodiless routes, scopes, patterns).
 */
export function registerAuthHook(fastify: FastifyInstance, keys: ApiKeyStore, events: AuthEvents, budget: RequestBudget): void {
  const logger = new Logger('Auth');
  fastify.addHook('onRequest', (request, reply, done) => {
    const bodiless = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
    if (bodiless && request.headers.authorization === undefined) return done();
    const { entry, reason } = authenticate(keys, request.headers.authorization);
    if (entry !== undefined) {
      // Known before the body is parsed, so a body the parser refuses is still attributed (audit).
      request.apiKey = entry;
      request.auth = { keyId: entry.id, scopes: entry.scopes };
      if (budget.spend(request, reply, entry.id, entry)) done();
      return;
    }
    // A bodiless request may be for a public route: the guard, which knows the route, decides.
    if (bodiless) return done();
    reportDenial(events, denialOf(request, null, 401, reason), logger);
    sendError(new UnauthenticatedError(reason), request, reply, logger);
  });
}
