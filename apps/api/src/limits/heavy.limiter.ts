import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { RateLimits } from '@app/features';
import type { FastifyRequest } from 'fastify';
import { finalize, type Observable } from 'rxjs';
import { limitsOf, RATE_LIMITS } from './key-limits';
import { HeavySlots } from './heavy-slots';

/** The caller's heavy-request slots (RATE_LIMIT_HEAVY, or the key's own `limits.heavy`). */
@Injectable()
export class HeavyLimiter {
  private readonly slots = new HeavySlots();

  constructor(@Inject(RATE_LIMITS) private readonly defaults: RateLimits) {}

  /** Takes a slot of the request's key; the caller releases it when the work ends. */
  acquire(request: FastifyRequest): () => void {
    return this.slots.acquire(request.auth?.keyId ?? 'anonymous', limitsOf(request.apiKey, this.defaults).heavy);
  }

  /** Holds a slot while `start` runs and then until the work it started has `finished` (a job). */
  async holdUntilFinished<T extends { finished: Promise<unknown> }>(request: FastifyRequest, start: () => Promise<T>): Promise<T> {
    const release = this.acquire(request);
    try {
      const started = await start();
      void started.finished.finally(release);
      return started;
    } catch (error) {
      release();
      throw error;
    }
  }
}

/** Holds a heavy slot for the duration of a route's handler (`@UseInterceptors(HeavyInterceptor)`). */
@Injectable()
export class HeavyInterceptor implements NestInterceptor {
  constructor(@Inject(HeavyLimiter) private readonly limiter: HeavyLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const release = this.limiter.acquire(context.switchToHttp().getRequest<FastifyRequest>());
    return next.handle().pipe(finalize(release));
  }
}
