import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { FeatureStore, InvalidArgumentError, toOnlineResponse, type OnlineResponse } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller('v1')
export class OnlineFeaturesController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  /** Latest feature values of a few entities, with event time and status per value. */
  @Post('online-features')
  @HttpCode(200)
  async lookup(@Body() body: unknown): Promise<OnlineResponse> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('body: a JSON object is required', { field: 'body' });
    return toOnlineResponse(await this.store.serving.lookup(body));
  }
}
