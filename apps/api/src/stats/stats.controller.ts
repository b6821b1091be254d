import { Controller, Get, Inject, Param, Query, UseInterceptors } from '@nestjs/common';
import { z } from 'zod';
import { FeatureStatsService, TrainingSetStatsService, type FeatureViewStats, type TrainingSetStats } from '@app/features';
import { NAME, VERSION, utcTime } from '../common/params';
import { ZodPipe } from '../common/zod.pipe';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { HeavyInterceptor } from '../limits/heavy.limiter';
import { trainingSetIdParam } from '../training-sets/run.request';

/** `?start=&end=`: an event-time range (either bound may be left out), computed on demand. */
const statsQuery = z.object({ start: utcTime.optional(), end: utcTime.optional() });

/** Statistics of view versions and training sets (issue 17). */
@Controller('v1')
export class StatsController {
  constructor(
    @Inject(FeatureStatsService) private readonly views: FeatureStatsService,
    @Inject(TrainingSetStatsService) private readonly trainingSets: TrainingSetStatsService,
  ) {}

  // A range scans the offline rows in it: a heavy request.
  @Get('feature-views/:name/versions/:version/stats')
  @Scope('read', viewInPath)
  @UseInterceptors(HeavyInterceptor)
  viewStats(@Param('name', NAME) name: string, @Param('version', VERSION) version: number, @Query(new ZodPipe(statsQuery)) query: z.infer<typeof statsQuery>): Promise<FeatureViewStats> {
    return this.views.versionStats(name, version, { start: query.start, end: query.end });
  }

  @Get('training-sets/:id/stats')
  @Scope('read')
  @UseInterceptors(HeavyInterceptor)
  trainingSetStats(@Param('id', new ZodPipe(trainingSetIdParam)) id: string): Promise<TrainingSetStats> {
    return this.trainingSets.get(id);
  }
}
