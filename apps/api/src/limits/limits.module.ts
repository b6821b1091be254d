import { Module, type DynamicModule } from '@nestjs/common';
import type { RateLimits } from '@app/features';
import { HeavyInterceptor, HeavyLimiter } from './heavy.limiter';
import { RATE_LIMITS } from './key-limits';

/** Per-key limits of heavy requests (the request rate is a Fastify hook: see rate-limit.hook.ts). */
@Module({})
export class LimitsModule {
  static forConfig(limits: RateLimits): DynamicModule {
    return {
      module: LimitsModule,
      providers: [{ provide: RATE_LIMITS, useValue: limits }, HeavyLimiter, HeavyInterceptor],
      exports: [HeavyLimiter, HeavyInterceptor, RATE_LIMITS],
    };
  }
}
