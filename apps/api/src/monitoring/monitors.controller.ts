import { Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { MonitorService, type MonitorRecord } from '@app/features';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { JsonBody } from '../common/json-body.decorator';
import { ZodPipe } from '../common/zod.pipe';
import { Scope, type AuthTarget } from '../auth/scope.decorator';
import { Audited } from '../audit/audited.decorator';
import { monitorBody, monitorIdParam } from './monitoring.request';

// The view a monitor body names, for keys limited to view patterns (read defensively: the guard
// runs before the schema).
const viewInBody: AuthTarget = {
  kind: 'views',
  names: (request: FastifyRequest) => {
    const body = request.body;
    const view = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).view : undefined;
    return typeof view === 'string' && view !== '' ? [view] : [];
  },
};

/** Drift monitors: registered here, evaluated after each materialisation of their view version. */
@Controller('v1/monitors')
export class MonitorsController {
  constructor(@Inject(MonitorService) private readonly monitors: MonitorService) {}

  @Post()
  @Audited()
  @Scope('write', viewInBody)
  @HttpCode(201)
  create(@JsonBody(monitorBody) body: z.infer<typeof monitorBody>): Promise<MonitorRecord> {
    return this.monitors.create(body);
  }

  @Get()
  @Scope('read')
  async list(): Promise<{ monitors: MonitorRecord[] }> {
    return { monitors: await this.monitors.list() };
  }

  @Get(':id')
  @Scope('read')
  get(@Param('id', new ZodPipe(monitorIdParam)) id: string): Promise<MonitorRecord> {
    return this.monitors.get(id);
  }

  @Delete(':id')
  @Audited()
  @Scope('write')
  @HttpCode(204)
  async remove(@Param('id', new ZodPipe(monitorIdParam)) id: string): Promise<void> {
    await this.monitors.delete(id);
  }
}
