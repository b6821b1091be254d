import { Body, Controller, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { FeatureStore, type SqlRow, type TrainingSetRequest } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller('v1')
export class TrainingSetsController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  @Post('training-sets')
  @HttpCode(200)
  async create(@Body() body: TrainingSetRequest): Promise<{ trainingSetId: string; digest: string; columns: readonly string[]; rows: SqlRow[] }> {
    const { manifest, rows } = await this.store.trainingSets.create(body ?? {});
    return { trainingSetId: manifest.id, digest: manifest.digest, columns: manifest.columns, rows };
  }

  @Get('training-sets/:id')
  manifest(@Param('id') id: string): ReturnType<FeatureStore['trainingSets']['manifest']> {
    return this.store.trainingSets.manifest(id);
  }

  @Get('training-sets/:id/data')
  async data(@Param('id') id: string): Promise<{ trainingSetId: string; rows: SqlRow[] }> {
    return { trainingSetId: id, rows: await this.store.trainingSets.data(id) };
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
