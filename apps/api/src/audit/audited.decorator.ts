import { UseInterceptors } from '@nestjs/common';
import { AuditInterceptor } from './audit.interceptor';

/**
 * Records the route's requests in the audit trail. Bound per change route rather than globally:
 * a global interceptor puts an rxjs pipeline on every request, and cost the online lookups a
 * quarter of their throughput (bench/results/online-auth.md). audited-routes.spec.ts checks that
 * every change route carries it.
 */
export const Audited = (): MethodDecorator & ClassDecorator => UseInterceptors(AuditInterceptor);
