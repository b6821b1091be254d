import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { TrainingSetService, TrainingSetVintageService, type TrainingSet, type TrainingSetDiff } from '@app/features';
import type { FastifyReply } from 'fastify';
import { RAW_BODY_CONTENT_TYPES } from '../common/body.parser';
import { ZodPipe } from '../common/zod.pipe';
import { DocumentBody } from '../openapi/documented-body.decorator';
import { trainingSetIdParam } from './run.request';
import { manifestBody, negotiateFormat, TrainingSetPresenter, type ManifestBody, type CreatedTrainingSetBody, type TrainingSetDataBody } from './training-set.presenter';
import { recreateBody, trainingSetBody, trainingSetCommand, trainingSetDiffQuery, trainingSetQuery } from './training-set.request';
import { featureService, viewsOfFeatures } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { HeavyInterceptor } from '../limits/heavy.limiter';

@Controller('v1/training-sets')
export class TrainingSetsController {
  constructor(
    private readonly trainingSets: TrainingSetService,
    private readonly presenter: TrainingSetPresenter,
    private readonly vintages: TrainingSetVintageService,
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

  // The set computed again as of its knownAt: a new set whose digest equals the original's.
  @Post(':id/recreate')
  @Scope('read')
  @UseInterceptors(HeavyInterceptor)
  @HttpCode(201)
  async recreate(@Param('id', new ZodPipe(trainingSetIdParam)) id: string, @Body(new ZodPipe(recreateBody)) body: { runId: string | null }): Promise<ManifestBody> {
    return manifestBody(await this.vintages.recreate(id, { runId: body.runId }));
  }

  @Get(':id/diff')
  @Scope('read')
  @UseInterceptors(HeavyInterceptor)
  async diff(@Param('id', new ZodPipe(trainingSetIdParam)) id: string, @Query(new ZodPipe(trainingSetDiffQuery)) query: { knownAt: Date }): Promise<TrainingSetDiff> {
    return jsonSafe(await this.vintages.diff(id, query.knownAt));
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

// Values read from DuckDB as JSON: 64-bit integers as numbers (text beyond 2^53), times as ISO text.
function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))) as T;
}
