import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { TrainingSetService, type TrainingSet } from '@app/features';
import type { FastifyReply } from 'fastify';
import { RAW_BODY_CONTENT_TYPES } from '../common/body.parser';
import { ZodPipe } from '../common/zod.pipe';
import { DocumentBody } from '../openapi/documented-body.decorator';
import { trainingSetIdParam } from './run.request';
import { manifestBody, negotiateFormat, TrainingSetPresenter, type ManifestBody, type CreatedTrainingSetBody, type TrainingSetDataBody } from './training-set.presenter';
import { trainingSetBody, trainingSetCommand, trainingSetQuery } from './training-set.request';
import { featureService, viewsOfFeatures } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { HeavyInterceptor } from '../limits/heavy.limiter';

@Controller('v1/training-sets')
export class TrainingSetsController {
  constructor(
    private readonly trainingSets: TrainingSetService,
    private readonly presenter: TrainingSetPresenter,
  ) {}

  // The body is JSON or an entity frame (by Content-Type), so it is parsed here rather than by a pipe.
  @Post()
  @Scope('read', viewsOfFeatures, featureService)
  @UseInterceptors(HeavyInterceptor)
  @DocumentBody({ json: trainingSetBody, raw: RAW_BODY_CONTENT_TYPES, query: trainingSetQuery, description: 'JSON with everything (`features` or `featureService` is required), or the entity frame itself (CSV, NDJSON, Parquet, Arrow IPC) with the options as query parameters' })
  @HttpCode(200)
  async create(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Query() query: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedTrainingSetBody | Buffer> {
    const format = negotiateFormat(accept);
    const set = await this.trainingSets.create(trainingSetCommand(contentType, body, query));
    return this.presenter.created(set, format, reply);
  }

  @Get(':id')
  @Scope('read')
  async manifest(@Param('id', new ZodPipe(trainingSetIdParam)) id: string): Promise<ManifestBody> {
    return manifestBody(await this.trainingSets.manifest(id));
  }

  @Get(':id/data')
  @Scope('read')
  @UseInterceptors(HeavyInterceptor)
  async data(
    @Param('id', new ZodPipe(trainingSetIdParam)) id: string,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TrainingSetDataBody | Buffer> {
    const format = negotiateFormat(accept);
    return this.presenter.data(await this.trainingSets.manifest(id), format, reply);
  }
}
