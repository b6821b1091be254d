import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, SCOPES, UnauthenticatedError, allowedByPatterns, type ApiKeyEntry, type ApiKeyStore } from '@app/features';
import type { FastifyRequest } from 'fastify';
import { AuthEvents, reportDenial, type AuthDenial } from './auth-events';
import type { RequestAuth } from './request-auth';
import { ROUTE_ACCESS, type AuthTarget, type RouteAccess } from './scope.decorator';

/** DI token of the process's ApiKeyStore, or null when no keys file is configured (auth off). */
export const API_KEY_STORE = Symbol('API_KEY_STORE');

/** DI token of `{ metricsPublic }`. */
export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
export interface AuthOptions {
  readonly metricsPublic: boolean;
}

const ANONYMOUS: RequestAuth = { keyId: 'anonymous', scopes: SCOPES };

/**
 * The one guard at the edge: every route declares its scope (`@Scope`, `@MetricsScope`,
 * `@Public`); a route that declares nothing needs `admin`, so a new route is closed until it says
 * otherwise. Sets `request.auth`, and reports refusals to AuthEvents.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEY_STORE) private readonly keys: ApiKeyStore | null,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    @Inject(AuthEvents) private readonly events: AuthEvents,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.keys === null) {
      request.auth = ANONYMOUS;
      return true;
    }
    const access = this.reflector.get<RouteAccess | undefined>(ROUTE_ACCESS, context.getHandler()) ?? { scope: 'admin', targets: [] };
    if ('public' in access || (access.metrics === true && this.options.metricsPublic)) {
      request.auth = ANONYMOUS;
      return true;
    }
    // The auth hook has already verified the key of most requests.
    const { entry, reason } = request.apiKey !== undefined ? { entry: request.apiKey, reason: undefined } : authenticate(this.keys, request.headers.authorization);
    if (entry === undefined) {
      this.deny(request, null, 401, reason);
      throw new UnauthenticatedError(reason);
    }
    request.auth = { keyId: entry.id, scopes: entry.scopes };
    if (!entry.scopes.includes(access.scope)) {
      const reason = `key ${entry.id} lacks the scope ${access.scope}`;
      this.deny(request, entry.id, 403, reason);
      throw new ForbiddenError(reason, { scope: access.scope });
    }
    // Most keys have no patterns: then no name is read out of the request at all.
    if (entry.datasets !== undefined || entry.views !== undefined) for (const target of access.targets) this.checkNames(request, entry, target);
    return true;
  }

  private checkNames(request: FastifyRequest, entry: ApiKeyEntry, target: AuthTarget): void {
    const kind = target.kind;
    // A service's views are known only from the registry: a key limited to views may use none.
    const patterns = kind === 'services' ? (entry.views === undefined ? undefined : []) : entry[kind];
    if (patterns === undefined) return;
    for (const name of target.names(request)) {
      if (allowedByPatterns(patterns, name)) continue;
      const what = kind === 'datasets' ? 'dataset' : kind === 'views' ? 'view' : 'featureService';
      const allowed = kind === 'services' ? `the key is limited to the views ${(entry.views ?? []).join(', ')}` : `allowed: ${patterns.join(', ')}`;
      const reason = `key ${entry.id} may not use the ${what === 'featureService' ? 'feature service' : what} ${name} (${allowed})`;
      this.deny(request, entry.id, 403, reason);
      throw new ForbiddenError(reason, { [what]: name });
    }
  }

  private deny(request: FastifyRequest, keyId: string | null, status: 401 | 403, reason: string): void {
    reportDenial(this.events, denialOf(request, keyId, status, reason), this.logger);
  }
}

/** The key entry of an Authorization header, or why there is none. */
export function authenticate(keys: ApiKeyStore, header: string | undefined): { entry: ApiKeyEntry; reason?: undefined } | { entry?: undefined; reason: string } {
  const presented = bearerToken(header);
  if (presented === undefined) return { reason: 'no key: send Authorization: Bearer <key>' };
  const entry = keys.verify(presented);
  return entry === undefined ? { reason: 'unknown key' } : { entry };
}

/** A refusal as reported to AuthEvents. */
export function denialOf(request: FastifyRequest, keyId: string | null, status: 401 | 403, reason: string): AuthDenial {
  // The route pattern (not the URL) so that the log does not hold whatever a client put in a path.
  const route = request.routeOptions?.url ?? request.url.split('?')[0];
  return { keyId, route, method: request.method, status, reason };
}

/** The key of `Authorization: Bearer <key>` (the header Feast's remote online store sends). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
