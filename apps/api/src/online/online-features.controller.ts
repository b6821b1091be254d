import { Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { OnlineServingService } from '@app/features';
import { JsonBody } from '../common/json-body.decorator';
import { onlineResponseBody } from './online.presenter';
import { fastOnlineLookup, onlineLookupBody } from './online.schemas';
import { featureService, viewsOfFeatures } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';

@Controller('v1')
export class OnlineFeaturesController {
  constructor(@Inject(OnlineServingService) private readonly serving: OnlineServingService) {}

  /** Latest feature values of a few entities, with event time and status per value (docs/api.md, Online lookup). */
  @Post('online-features')
  @Scope('read', viewsOfFeatures, featureService)
  @HttpCode(200)
  async lookup(@JsonBody(onlineLookupBody, fastOnlineLookup) body: z.infer<typeof onlineLookupBody>, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const result = await this.serving.lookup({ features: body.features, featureService: body.featureService ?? undefined, entities: body.entities });
    void reply.header('content-type', 'application/json; charset=utf-8');
    return onlineResponseBody(result);
  }
}
