import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { FeatureSeriesService, type FeatureSeries } from '@app/features';
import { MAX_PARAM_LENGTH, NAME, VERSION, utcTime } from '../common/params';
import { ZodPipe } from '../common/zod.pipe';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';

/** `?symbol=AAPL&features=ret_1d,ret_5d&start=&end=`: one key, some features (all when absent), a range (inclusive). */
export const seriesQuery = z.object({
  symbol: z.string({ required_error: 'is required (the entity key to plot)' }).min(1, 'must not be empty').max(MAX_PARAM_LENGTH, `at most ${MAX_PARAM_LENGTH} characters`),
  features: z
    .string()
    .max(10_000, 'at most 10000 characters')
    .optional()
    .transform((v) => (v ?? '').split(',').map((f) => f.trim()).filter(Boolean)),
  start: utcTime.optional(),
  end: utcTime.optional(),
});

/** A view version's values over time for one key, read from the offline store (the catalog UI's plot). */
@Controller('v1/feature-views')
export class SeriesController {
  constructor(@Inject(FeatureSeriesService) private readonly series: FeatureSeriesService) {}

  @Get(':name/versions/:version/series')
  @Scope('read', viewInPath)
  read(@Param('name', NAME) name: string, @Param('version', VERSION) version: number, @Query(new ZodPipe(seriesQuery)) query: z.infer<typeof seriesQuery>): Promise<FeatureSeries> {
    return this.series.read({ view: name, version, key: query.symbol, features: query.features, start: query.start ?? null, end: query.end ?? null });
  }
}
