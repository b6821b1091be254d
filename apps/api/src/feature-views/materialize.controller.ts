import { Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { MaterializationService, type JobRecord } from '@app/features';
import { JsonBody } from '../common/json-body.decorator';
import { NAME, VERSION, utcTime } from '../common/params';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';

/** `{"start"?, "end"?}`, or no body: the whole range of the view's data. */
const materializeBody = z.object({ start: utcTime.nullish(), end: utcTime.nullish() }).optional();

/** Materialisation jobs of a view version. */
@Controller('v1')
export class MaterializeController {
  constructor(@Inject(MaterializationService) private readonly materializer: MaterializationService) {}

  /** 202 while the job runs, 200 when the range was already materialised. */
  @Post('feature-views/:name/versions/:version/materialize')
  @Scope('write', viewInPath)
  async materialize(
    @Param('name', NAME) name: string,
    @Param('version', VERSION) version: number,
    @JsonBody(materializeBody) body: z.infer<typeof materializeBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ jobId: string; status: string; rows: number }> {
    const { job, done } = await this.materializer.startJob({ view: name, version, start: body?.start ?? undefined, end: body?.end ?? undefined });
    void reply.status(done ? 200 : 202);
    return { jobId: job.jobId, status: job.status, rows: job.rows };
  }

  @Get('jobs/:id')
  @Scope('read')
  job(@Param('id', NAME) id: string): Promise<JobRecord> {
    return this.materializer.getJob(id);
  }
}
