import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuditService } from '@app/features';
import type { FastifyInstance } from 'fastify';
import { detailOf, isChangeRoute, keyIdOf, statusOfError, targetsOf } from './audit-request';

/**
 * Change requests that fail before their handler runs (malformed JSON, a body over the limit:
 * Fastify's content parsing) never reach the AuditInterceptor; Fastify's `onError` hook sees
 * exactly those (an error a handler throws goes to Nest's filter instead), so they are recorded
 * as failed here.
 */
@Injectable()
export class AuditFrameworkErrors implements OnModuleInit {
  private readonly logger = new Logger('Audit');

  constructor(
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onError', async (request, _reply, error) => {
      const pattern = request.routeOptions.url;
      if (!isChangeRoute(request.method, pattern)) return;
      try {
        await this.audit.recordFailed({
          keyId: keyIdOf(request),
          route: `${request.method} ${pattern}`,
          targets: targetsOf(request.params, undefined),
          status: statusOfError(error),
          detail: detailOf(error),
        });
      } catch (failure) {
        this.logger.error(`audit append failed: ${(failure as Error).message}`);
      }
    });
  }
}
