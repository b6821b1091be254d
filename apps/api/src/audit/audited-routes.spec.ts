import 'reflect-metadata';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { API_CONTROLLERS } from '../app.module';
import { KeysController } from '../auth/keys.controller';
import { routesOf } from '../openapi/route-inventory';
import { isChangeRoute } from './audit-request';
import { AuditInterceptor } from './audit.interceptor';

describe('audited routes', () => {
  const routes = routesOf([...API_CONTROLLERS, KeysController]);
  const audited = (r: (typeof routes)[number]) => {
    const controller = [...API_CONTROLLERS, KeysController].find((c) => c.name === r.controller)!;
    const handler = (controller.prototype as unknown as Record<string, object>)[r.handler];
    return ((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []).includes(AuditInterceptor);
  };
  // Nest's `:name`, the pattern request.routeOptions.url gives the interceptor at run time.
  const pattern = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

  it('puts the audit interceptor on every change route, and on no read route', () => {
    const change = routes.filter((r) => isChangeRoute(r.method, pattern(r.path)));
    expect(change.length).toBeGreaterThanOrEqual(9);
    expect(change.filter((r) => !audited(r)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // Reads (lookups, training sets) must not pay for it: it cost a quarter of the lookup throughput.
    expect(routes.filter((r) => !isChangeRoute(r.method, pattern(r.path)) && audited(r)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
