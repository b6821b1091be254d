import { Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeatureViewService, entitySchema, featureServiceSchema, type EntityDefinition, type FeatureServiceDefinition } from '@app/features';
import { JsonBody } from '../common/json-body.decorator';
import { NAME } from '../common/params';
import { Scope } from '../auth/scope.decorator';
import { Audited } from '../audit/audited.decorator';

/** Entities and feature services: the other definitions next to feature views. */
@Controller('v1')
export class DefinitionsController {
  constructor(@Inject(FeatureViewService) private readonly features: FeatureViewService) {}

  @Post('entities')
  @Audited()
  @Scope('admin')
  async putEntity(@JsonBody(entitySchema) body: EntityDefinition, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ name: string; created: boolean }> {
    const result = await this.features.applyEntity(body);
    void reply.status(result.created ? 201 : 200);
    return result;
  }

  @Get('entities')
  @Scope('read')
  async entities(): Promise<Array<Pick<EntityDefinition, 'name' | 'joinKeys' | 'description'>>> {
    return (await this.features.listEntities()).map((e) => ({ name: e.name, joinKeys: e.joinKeys, description: e.description }));
  }

  @Post('feature-services')
  @Audited()
  @Scope('admin')
  async applyService(@JsonBody(featureServiceSchema) body: FeatureServiceDefinition, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ name: string; version: number; created: boolean }> {
    const result = await this.features.applyService(body);
    void reply.status(result.created ? 201 : 200);
    return result;
  }

  @Get('feature-services/:name')
  @Scope('read')
  service(@Param('name', NAME) name: string): ReturnType<FeatureViewService['getService']> {
    return this.features.getService(name);
  }
}
