import { Controller, Get } from '@nestjs/common';
import { FeatureStore } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';

@Controller()
export class HealthController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  @Get('health')
  health(): Promise<{ status: string; stores: Record<string, string> }> {
    return this.store.health();
  }
}
