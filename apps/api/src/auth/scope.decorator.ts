import { SetMetadata } from '@nestjs/common';
import type { AuthScope } from '@app/features';
import type { FastifyRequest } from 'fastify';

/** Names of datasets, views or feature services a request touches, for keys limited by name patterns. */
export interface AuthTarget {
  readonly kind: 'datasets' | 'views' | 'services';
  readonly names: (request: FastifyRequest) => readonly string[];
}

/** What a route needs: a scope and maybe the names it touches; `public` needs no key. */
export type RouteAccess = { readonly scope: AuthScope; readonly targets: readonly AuthTarget[]; readonly metrics?: boolean } | { readonly public: true };

export const ROUTE_ACCESS = Symbol('ROUTE_ACCESS');

/** The scope a route needs, and the dataset/view names it touches (checked against the key's patterns). */
export const Scope = (scope: AuthScope, ...targets: AuthTarget[]): MethodDecorator => SetMetadata(ROUTE_ACCESS, { scope, targets } satisfies RouteAccess);

/** `read`, or no key at all when METRICS_PUBLIC=true (/health, /metrics). */
export const MetricsScope = (): MethodDecorator => SetMetadata(ROUTE_ACCESS, { scope: 'read', targets: [], metrics: true } satisfies RouteAccess);

/** No key needed (liveness). */
export const Public = (): MethodDecorator => SetMetadata(ROUTE_ACCESS, { public: true } satisfies RouteAccess);
