import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { DatasetService, DatasetSummaryService, LakeCompactionService, type DatasetInfo, type DatasetSummary, type LakeLayout, type RowsResult } from '@app/features';
import { RAW_BODY_CONTENT_TYPES, bodyFormat, bodyToFile } from '../common/body.parser';
import { JsonBody } from '../common/json-body.decorator';
import { NAME } from '../common/params';
import { ApiMetrics } from '../metrics/api-metrics';
import { DocumentBody } from '../openapi/documented-body.decorator';
import { declareDatasetBody, jsonRowsBody } from './datasets.schemas';
import { datasetInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { Audited } from '../audit/audited.decorator';

@Controller('v1/datasets')
export class DatasetsController {
  constructor(
    @Inject(DatasetService) private readonly datasets: DatasetService,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
    @Inject(DatasetSummaryService) private readonly summaries: DatasetSummaryService,
    @Inject(LakeCompactionService) private readonly compaction: LakeCompactionService,
  ) {}

  @Get()
  @Scope('read')
  list(): Promise<DatasetInfo[]> {
    return this.datasets.list();
  }

  @Get(':name')
  @Scope('read', datasetInPath)
  async get(@Param('name', NAME) name: string): Promise<DatasetInfo & { lake: LakeLayout & { retentionHorizon: string | null } }> {
    const info = await this.datasets.get(name);
    const { granularity: _granularity, retention: _retention, ...lake } = await this.compaction.layout(name);
    return { ...info, lake };
  }

  /** Per-key ranges and gaps, batches and quarantined rows (the catalog UI's dataset page). */
  @Get(':name/summary')
  @Scope('read', datasetInPath)
  summary(@Param('name', NAME) name: string): Promise<DatasetSummary> {
    return this.summaries.summary(name);
  }

  @Put(':name')
  @Audited()
  @Scope('admin', datasetInPath)
  async declare(
    @Param('name', NAME) name: string,
    @JsonBody(declareDatasetBody) body: z.infer<typeof declareDatasetBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DatasetInfo & { created: boolean }> {
    const { created } = await this.datasets.declare(name, body);
    void reply.status(created ? 201 : 200);
    return { ...(await this.datasets.get(name)), created };
  }

  /** Rows as JSON, NDJSON, CSV, Parquet or Arrow IPC, by Content-Type. */
  @Post(':name/rows')
  @Audited()
  @Scope('write', datasetInPath)
  @DocumentBody({ json: jsonRowsBody, raw: RAW_BODY_CONTENT_TYPES, description: 'rows as a JSON array of objects, NDJSON, CSV, Parquet or Arrow IPC; each row is checked against the dataset (bad rows are reported, not stored)' })
  @HttpCode(200)
  async rows(@Param('name', NAME) name: string, @Headers('content-type') contentType: string | undefined, @Req() request: FastifyRequest): Promise<RowsResult> {
    const result = await this.datasets.ingestFile(name, bodyToFile(bodyFormat(contentType), request.body));
    this.metrics.rowsIngested.inc({ dataset: name }, result.accepted);
    return result;
  }
}
