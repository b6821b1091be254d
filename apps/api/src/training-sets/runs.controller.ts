import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { RunLineageService, type LinkRunCommand, type RunLineage, type VersionRun } from '@app/features';
import type { z } from 'zod';
import { JsonBody } from '../common/json-body.decorator';
import { ZodPipe } from '../common/zod.pipe';
import { linkRunBody, runIdParam, versionParams } from './run.request';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { Audited } from '../audit/audited.decorator';

@Controller('v1')
export class RunsController {
  constructor(private readonly runs: RunLineageService) {}

  @Post('runs')
  @Audited()
  @Scope('write')
  @HttpCode(200)
  link(@JsonBody(linkRunBody) command: LinkRunCommand): Promise<{ runId: string; trainingSets: string[] }> {
    return this.runs.link(command);
  }

  @Get('runs/:runId')
  @Scope('read')
  run(@Param('runId', new ZodPipe(runIdParam)) runId: string): Promise<RunLineage> {
    return this.runs.run(runId);
  }

  @Get('feature-views/:name/versions/:version/runs')
  @Scope('read', viewInPath)
  runsOfVersion(@Param(new ZodPipe(versionParams)) params: z.infer<typeof versionParams>): Promise<VersionRun[]> {
    return this.runs.runsOfVersion(params.name, params.version);
  }
}
