import { Module, type DynamicModule } from '@nestjs/common';
import type { FeatureStore } from '@app/features';
import { IngestCommands, FEATURE_STORE } from './ingest.commands';

/** The ingest worker's DI context: one FeatureStore and the commands that use it. */
@Module({})
export class IngestModule {
  static forStore(store: FeatureStore): DynamicModule {
    return { module: IngestModule, providers: [{ provide: FEATURE_STORE, useValue: store }, IngestCommands] };
  }
}
