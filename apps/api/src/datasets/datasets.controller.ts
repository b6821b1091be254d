import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureStore, type DatasetInfo, type RowsResult } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';
import { ApiMetrics } from '../metrics/api-metrics';

@Controller('v1/datasets')
export class DatasetsController {
  constructor(
    @InjectFeatureStore() private readonly store: FeatureStore,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
  ) {}

  @Get()
  list(): Promise<DatasetInfo[]> {
    return this.store.datasets.list();
  }

  @Get(':name')
  get(@Param('name') name: string): Promise<DatasetInfo> {
    return this.store.datasets.get(name);
  }

  @Put(':name')
  async declare(@Param('name') name: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<DatasetInfo & { created: boolean }> {
    const { created } = await this.store.datasets.declare(name, asObject(body));
    void reply.status(created ? 201 : 200);
    return { ...(await this.store.datasets.get(name)), created };
  }

  @Post(':name/rows')
  @HttpCode(200)
  async rows(@Param('name') name: string, @Headers('content-type') contentType: string | undefined, @Body() body: unknown): Promise<RowsResult> {
    const result = await this.store.datasets.ingestRows(name, contentType, body);
    this.metrics.rowsIngested.inc({ dataset: name }, result.accepted);
    return result;
  }
}

function asObject(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
