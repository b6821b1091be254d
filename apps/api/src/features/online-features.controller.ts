import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { FeatureStore, InvalidArgumentError, toFeastResponse, toOnlineResponse, type FeastOnlineResponse, type OnlineResponse } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller()
export class OnlineFeaturesController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  @Post('v1/online-features')
  @HttpCode(200)
  async lookup(@Body() body: unknown): Promise<OnlineResponse> {
    const request = objectBody(body);
    return toOnlineResponse(await this.store.serving.lookup(request));
  }

  /** Feast's feature-server route: same lookup, Feast's request and response shapes. */
  @Post('get-online-features')
  @HttpCode(200)
  async feastLookup(@Body() body: unknown): Promise<FeastOnlineResponse> {
    const request = objectBody(body);
    const fullNames = request.full_feature_names ?? false;
    if (typeof fullNames !== 'boolean') throw new InvalidArgumentError('full_feature_names: must be true or false', { field: 'full_feature_names' });
    const result = await this.store.serving.lookup({ features: request.features, featureService: request.feature_service, entities: request.entities });
    return toFeastResponse(result, fullNames);
  }
}

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('body: a JSON object is required', { field: 'body' });
  return body as Record<string, unknown>;
}
