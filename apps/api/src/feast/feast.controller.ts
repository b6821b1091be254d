import { Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { OnlineServingService, OnlineWriterService, PushService, type PushResult } from '@app/features';
import { JsonBody } from '../common/json-body.decorator';
import { feastResponseBody } from './feast.presenter';
import { fastFeastLookup, feastLookupBody, feastPushBody, feastWriteBody } from './feast.schemas';
import { featureService, pushSource, viewsOfFeatures, writtenView } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { Audited } from '../audit/audited.decorator';

/**
 * Feast's feature-server routes, so Feast clients (its Python SDK with `online_store: type:
 * remote`, or plain HTTP) work unchanged. Their errors are in Feast's shape (see ErrorFilter).
 */
@Controller()
export class FeastController {
  constructor(
    @Inject(OnlineServingService) private readonly serving: OnlineServingService,
    @Inject(PushService) private readonly pushes: PushService,
    @Inject(OnlineWriterService) private readonly writer: OnlineWriterService,
  ) {}

  /** Online lookup in Feast's request and response shapes (column-major, entity keys first). */
  @Post('get-online-features')
  @Scope('read', viewsOfFeatures, featureService)
  @HttpCode(200)
  async getOnlineFeatures(@JsonBody(feastLookupBody, fastFeastLookup) body: z.infer<typeof feastLookupBody>, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    // As Feast: a feature service, when given, wins over a feature list.
    const service = body.feature_service ?? undefined;
    const result = await this.serving.lookup(service !== undefined ? { featureService: service, entities: body.entities } : { features: body.features, entities: body.entities });
    void reply.header('content-type', 'application/json');
    return feastResponseBody(result, body.full_feature_names, body.include_feature_view_version_metadata);
  }

  /** Feast's push: feature values into a view's online store, or source rows into a dataset. */
  @Post('push')
  @Audited()
  @Scope('write', ...pushSource)
  @HttpCode(200)
  push(@JsonBody(feastPushBody) body: z.infer<typeof feastPushBody>): Promise<PushResult> {
    return this.pushes.push({ source: body.push_source_name, df: body.df, to: body.to });
  }

  /** What Feast's SDK calls for `store.push()` / `write_to_online_store()` with a remote online store. */
  @Post('write-to-online-store')
  @Audited()
  @Scope('write', writtenView)
  @HttpCode(200)
  async writeToOnlineStore(@JsonBody(feastWriteBody) body: z.infer<typeof feastWriteBody>, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    await this.writer.write(body.feature_view_name, body.df, 'df');
    void reply.header('content-type', 'application/json');
    return 'null';
  }
}
