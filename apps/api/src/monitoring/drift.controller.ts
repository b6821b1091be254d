import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ConsistencyService, DriftService, type ConsistencyReport, type DriftReport } from '@app/features';
import type { z } from 'zod';
import { NAME, VERSION } from '../common/params';
import { ZodPipe } from '../common/zod.pipe';
import { viewInPath } from '../auth/auth-targets';
import { Scope } from '../auth/scope.decorator';
import { consistencyQuery, driftQuery } from './monitoring.request';

/** Drift of a view version against a training set, and its online/offline consistency. */
@Controller('v1/feature-views/:name/versions/:version')
export class DriftController {
  constructor(
    @Inject(DriftService) private readonly drifts: DriftService,
    @Inject(ConsistencyService) private readonly consistency: ConsistencyService,
  ) {}

  @Get('drift')
  @Scope('read', viewInPath)
  drift(@Param('name', NAME) name: string, @Param('version', VERSION) version: number, @Query(new ZodPipe(driftQuery)) query: z.infer<typeof driftQuery>): Promise<DriftReport> {
    return this.drifts.drift({ view: name, version, reference: query.reference, window: query.window });
  }

  @Get('consistency')
  @Scope('read', viewInPath)
  check(@Param('name', NAME) name: string, @Param('version', VERSION) version: number, @Query(new ZodPipe(consistencyQuery)) query: z.infer<typeof consistencyQuery>): Promise<ConsistencyReport> {
    return this.consistency.check(name, version, query.keys);
  }
}
