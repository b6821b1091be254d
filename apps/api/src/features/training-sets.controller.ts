import { Body, Controller, Get, Headers, HttpCode, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  CONTENT_TYPE,
  FeatureStore,
  negotiateFormat,
  renderTrainingSet,
  type SqlRow,
  type TrainingSetFormat,
  type TrainingSetManifest,
  type TrainingSetRequest,
} from '@app/features';
import { bodyFormat, bodyToFile } from '../common/body.parser';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller('v1')
export class TrainingSetsController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  @Post('training-sets')
  @HttpCode(200)
  async create(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Query() query: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ trainingSetId: string; digest: string; columns: readonly string[]; rows: SqlRow[] } | Buffer> {
    const format = negotiateFormat(accept);
    const { manifest, rows } = await this.store.trainingSets.create(trainingSetRequest(contentType, body, query), format === 'json');
    if (format === 'json') return { trainingSetId: manifest.id, digest: manifest.digest, columns: manifest.columns, rows };
    return this.binary(reply, manifest, format);
  }

  @Get('training-sets/:id')
  manifest(@Param('id') id: string): ReturnType<FeatureStore['trainingSets']['manifest']> {
    return this.store.trainingSets.manifest(id);
  }

  @Get('training-sets/:id/data')
  async data(
    @Param('id') id: string,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ trainingSetId: string; digest: string; rows: SqlRow[] } | Buffer> {
    const format = negotiateFormat(accept);
    const manifest = await this.store.trainingSets.manifest(id);
    if (format === 'json') return { trainingSetId: id, digest: manifest.digest, rows: await this.store.trainingSets.data(id) };
    return this.binary(reply, manifest, format);
  }

  private async binary(reply: FastifyReply, manifest: TrainingSetManifest, format: Exclude<TrainingSetFormat, 'json'>): Promise<Buffer> {
    const body = await renderTrainingSet(this.store.db, manifest.file, format);
    void reply.header('content-type', CONTENT_TYPE[format]).header('x-training-set-id', manifest.id).header('x-training-set-digest', manifest.digest);
    return body;
  }

  @Post('runs')
  @HttpCode(200)
  link(@Body() body: { runId?: unknown; trainingSetIds?: unknown; system?: unknown; tags?: unknown }): ReturnType<FeatureStore['trainingSets']['link']> {
    return this.store.trainingSets.link(body?.runId, body?.trainingSetIds, body?.system, body?.tags);
  }

  @Get('runs/:runId')
  run(@Param('runId') runId: string): ReturnType<FeatureStore['trainingSets']['run']> {
    return this.store.trainingSets.run(runId);
  }

  @Get('feature-views/:name/versions/:version/runs')
  runsOfVersion(@Param('name') name: string, @Param('version', ParseIntPipe) version: number): ReturnType<FeatureStore['trainingSets']['runsOfVersion']> {
    return this.store.trainingSets.runsOfVersion(name, version);
  }
}

// JSON bodies carry everything; a CSV, Parquet or Arrow body is the entity frame itself, with
// features, runId, pointInTime and timestampColumn as query parameters.
function trainingSetRequest(contentType: string | undefined, body: unknown, query: Record<string, string | undefined>): TrainingSetRequest {
  const format = bodyFormat(contentType);
  if (format === 'json') return (body && typeof body === 'object' ? body : {}) as TrainingSetRequest;
  return {
    features: query.features === undefined ? undefined : query.features.split(',').map((f) => f.trim()).filter(Boolean),
    featureService: query.featureService,
    runId: query.runId,
    pointInTime: query.pointInTime,
    timestampColumn: query.timestampColumn,
    entityFrame: bodyToFile(format, body),
  };
}
