import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MaterializationService, type JobRecord } from '@app/features';
import { JsonBody } from '../common/json-body.decorator';
import { ZodPipe } from '../common/zod.pipe';
import { NAME, VERSION, utcTime } from '../common/params';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { HeavyLimiter } from '../limits/heavy.limiter';
import { Audited } from '../audit/audited.decorator';

/** `{"start"?, "end"?}`, or no body: the whole range of the view's data. */
const materializeBody = z.object({ start: utcTime.nullish(), end: utcTime.nullish() }).optional();

/** `?limit=`: how many of the newest jobs (1 to 1000, 100 by default). */
const jobsQuery = z.object({
  limit: z
    .string()
    .regex(/^[1-9]\d{0,3}$/, 'must be a whole number from 1 to 1000')
    .transform(Number)
    .refine((n) => n <= 1000, 'must be a whole number from 1 to 1000')
    .optional()
    .transform((n) => n ?? 100),
});

/** Materialisation jobs of a view version. */
@Controller('v1')
export class MaterializeController {
  constructor(
    @Inject(MaterializationService) private readonly materializer: MaterializationService,
    @Inject(HeavyLimiter) private readonly heavy: HeavyLimiter,
  ) {}

  /** 202 while the job runs, 200 when the range was already materialised. */
  @Post('feature-views/:name/versions/:version/materialize')
  @Audited()
  @Scope('write', viewInPath)
  async materialize(
    @Param('name', NAME) name: string,
    @Param('version', VERSION) version: number,
    @JsonBody(materializeBody) body: z.infer<typeof materializeBody>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ jobId: string; status: string; rows: number }> {
    // The job runs on after the answer: its key's heavy slot is held until it ends.
    const start = () => this.materializer.startJob({ view: name, version, start: body?.start ?? undefined, end: body?.end ?? undefined });
    const { job, done } = await this.heavy.holdUntilFinished(request, start);
    void reply.status(done ? 200 : 202);
    return { jobId: job.jobId, status: job.status, rows: job.rows };
  }

  /** The newest jobs first (the catalog UI's jobs page). */
  @Get('jobs')
  @Scope('read')
  async jobs(@Query(new ZodPipe(jobsQuery)) query: z.infer<typeof jobsQuery>): Promise<{ jobs: JobRecord[] }> {
    return { jobs: await this.materializer.listJobs(query.limit) };
  }

  @Get('jobs/:id')
  @Scope('read')
  job(@Param('id', NAME) id: string): Promise<JobRecord> {
    return this.materializer.getJob(id);
  }
}
