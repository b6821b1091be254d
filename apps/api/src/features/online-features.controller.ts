import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureStore, InvalidArgumentError, onlineResponseJson } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller('v1')
export class OnlineFeaturesController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  /** Latest feature values of a few entities, with event time and status per value (API.md's OnlineResponse). */
  @Post('online-features')
  @HttpCode(200)
  async lookup(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('body: a JSON object is required', { field: 'body' });
    const json = onlineResponseJson(await this.store.serving.lookup(body));
    void reply.header('content-type', 'application/json; charset=utf-8');
    return json;
  }
}
