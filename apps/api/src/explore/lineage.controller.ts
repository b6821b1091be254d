import { Controller, Get, Inject } from '@nestjs/common';
import { LineageGraphService, type LineageGraph } from '@app/features';
import { Scope } from '../auth/scope.decorator';

/** The whole lineage graph, for the catalog UI (which walks it both ways itself). */
@Controller('v1/lineage')
export class LineageController {
  constructor(@Inject(LineageGraphService) private readonly lineage: LineageGraphService) {}

  @Get()
  @Scope('read')
  graph(): Promise<LineageGraph> {
    return this.lineage.graph();
  }
}
