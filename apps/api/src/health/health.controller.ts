import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { StoreHealth } from './store-health';
import { MetricsScope, Public } from '../auth/scope.decorator';

@Controller()
export class HealthController {
  constructor(@Inject(StoreHealth) private readonly health: StoreHealth) {}

  /** Liveness: the process serves HTTP (no store is asked). */
  @Get('health/live')
  @Public()
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health')
  @MetricsScope()
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; stores: Record<string, string> }> {
    const health = await this.health.check();
    // A load balancer takes a degraded instance out of rotation.
    if (health.status !== 'ok') void reply.status(503);
    return health;
  }
}
