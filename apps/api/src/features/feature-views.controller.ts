import { Body, Controller, Get, Param, ParseIntPipe, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureStore, parseUtc, type ApplyOutcome, type EntityDefinition, type JobRecord, type ViewSummary } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller('v1')
export class FeatureViewsController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  @Post('feature-views')
  async apply(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<ApplyOutcome> {
    const outcome = await this.store.features.apply(body);
    void reply.status(outcome.created ? 201 : 200);
    return outcome;
  }

  @Get('feature-views')
  list(): Promise<ViewSummary[]> {
    return this.store.features.list();
  }

  @Get('feature-views/:name')
  get(@Param('name') name: string): ReturnType<FeatureStore['features']['get']> {
    return this.store.features.get(name);
  }

  @Get('feature-views/:name/versions/:version')
  version(@Param('name') name: string, @Param('version', ParseIntPipe) version: number): ReturnType<FeatureStore['features']['getVersion']> {
    return this.store.features.getVersion(name, version);
  }

  @Post('feature-views/:name/versions/:version/materialize')
  async materialize(
    @Param('name') name: string,
    @Param('version', ParseIntPipe) version: number,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ jobId: string; status: string; rows: number }> {
    const range = parseRange(body);
    const { job, done } = await this.store.materializer.startJob({ view: name, version, ...range });
    void reply.status(done ? 200 : 202);
    return { jobId: job.jobId, status: job.status, rows: job.rows };
  }

  @Get('jobs/:id')
  job(@Param('id') id: string): Promise<JobRecord> {
    return this.store.materializer.getJob(id);
  }

  @Post('entities')
  async putEntity(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ name: string; created: boolean }> {
    const result = await this.store.features.applyEntity(body);
    void reply.status(result.created ? 201 : 200);
    return result;
  }

  @Get('entities')
  async entities(): Promise<Array<Pick<EntityDefinition, 'name' | 'joinKeys'>>> {
    return (await this.store.features.listEntities()).map((e) => ({ name: e.name, joinKeys: e.joinKeys, description: e.description }));
  }

  @Post('feature-services')
  async applyService(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ name: string; version: number; created: boolean }> {
    const result = await this.store.features.applyService(body);
    void reply.status(result.created ? 201 : 200);
    return result;
  }

  @Get('feature-services/:name')
  service(@Param('name') name: string): ReturnType<FeatureStore['features']['getService']> {
    return this.store.features.getService(name);
  }
}

function parseRange(body: unknown): { start?: Date; end?: Date } {
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  return {
    start: b.start === undefined || b.start === null ? undefined : parseUtc(b.start, 'start'),
    end: b.end === undefined || b.end === null ? undefined : parseUtc(b.end, 'end'),
  };
}
