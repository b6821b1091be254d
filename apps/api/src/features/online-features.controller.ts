import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureStore, onlineResponseBody } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';
import { objectBody } from '../common/object-body';

@Controller('v1')
export class OnlineFeaturesController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  /** Latest feature values of a few entities, with event time and status per value (API.md's OnlineResponse). */
  @Post('online-features')
  @HttpCode(200)
  async lookup(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const json = onlineResponseBody(await this.store.serving.lookup(objectBody(body)));
    void reply.header('content-type', 'application/json; charset=utf-8');
    return json;
  }
}
