import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { AuditService } from '@app/features';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, type Observable } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { countsOf, detailOf, isChangeRoute, keyIdOf, statusOfError, targetsOf } from './audit-request';

/**
 * Appends every change request that reached its route to the audit trail: accepted with the
 * answer's counts, or failed with the status the error filter gives it. Refused keys never get
 * here (the guard runs first) and are recorded through AuditAuthEvents.
 *
 * The entry is written before the answer leaves, so a client that saw its change acknowledged
 * finds it in the trail. A failed append is logged and the answer still sent: the change itself
 * is done, and answering an error would misreport it.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');
  /** Appends that failed (logged); a test or a metric can read it. */
  failures = 0;

  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const pattern = request.routeOptions.url;
    if (!isChangeRoute(request.method, pattern)) return next.handle();
    const route = `${request.method} ${pattern}`;
    const keyId = keyIdOf(request);
    const targets = () => targetsOf(request.params, request.body);
    return next.handle().pipe(
      mergeMap((answer: unknown) =>
        from(
          this.safely(() => this.audit.recordChange({ keyId, route, targets: targets(), counts: countsOf(answer, request.params), status: http.getResponse<FastifyReply>().statusCode })).then(() => answer),
        ),
      ),
      catchError((error: unknown) =>
        from(
          this.safely(() => this.audit.recordFailed({ keyId, route, targets: targets(), status: statusOfError(error), detail: detailOf(error) })).then(() => {
            throw error;
          }),
        ),
      ),
    );
  }

  private async safely(record: () => Promise<unknown>): Promise<void> {
    try {
      await record();
    } catch (error) {
      this.failures++;
      this.logger.error(`audit append failed: ${(error as Error).message}`);
    }
  }
}
