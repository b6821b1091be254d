import { Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureViewService, featureViewSchema, type ApplyOutcome, type FeatureViewDefinition, type ViewSummary } from '@app/features';
import { JsonBody } from '../common/json-body.decorator';
import { NAME, VERSION } from '../common/params';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { Audited } from '../audit/audited.decorator';

/** Feature views and their versions. */
@Controller('v1/feature-views')
export class FeatureViewsController {
  constructor(@Inject(FeatureViewService) private readonly features: FeatureViewService) {}

  /** 201 for a new version, 200 when the definition is known (metadata may have changed). */
  @Post()
  @Audited()
  @Scope('admin')
  async apply(@JsonBody(featureViewSchema) body: FeatureViewDefinition, @Res({ passthrough: true }) reply: FastifyReply): Promise<ApplyOutcome> {
    const outcome = await this.features.apply(body);
    void reply.status(outcome.created ? 201 : 200);
    return outcome;
  }

  @Get()
  @Scope('read')
  list(): Promise<ViewSummary[]> {
    return this.features.list();
  }

  @Get(':name')
  @Scope('read', viewInPath)
  get(@Param('name', NAME) name: string): ReturnType<FeatureViewService['get']> {
    return this.features.get(name);
  }

  @Get(':name/versions/:version')
  @Scope('read', viewInPath)
  version(@Param('name', NAME) name: string, @Param('version', VERSION) version: number): ReturnType<FeatureViewService['getVersion']> {
    return this.features.getVersion(name, version);
  }
}
