import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureStore } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller()
export class HealthController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  /** Liveness: the process serves HTTP (no store is asked). */
  @Get('health/live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health')
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; stores: Record<string, string> }> {
    const health = await this.store.health();
    // A load balancer takes a degraded instance out of rotation.
    if (health.status !== 'ok') void reply.status(503);
    return health;
  }
}
