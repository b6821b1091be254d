import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { BackgroundCompactor, FeatureStore } from '@app/features';
import { FEATURE_STORE } from '../common/feature-store.provider';

/** Runs the lake's background compaction in the API process (LAKE_COMPACTION_INTERVAL_S; 0: off). */
@Injectable()
export class BackgroundCompaction implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Compaction');
  private readonly compactor: BackgroundCompactor;

  constructor(@Inject(FEATURE_STORE) store: FeatureStore) {
    this.compactor = store.backgroundCompactor({
      compacted: (r) => this.logger.log(`${r.dataset}: ${r.partitions.length} partitions compacted, ${r.partitions.reduce((n, p) => n + p.inputFiles, 0)} files -> ${r.partitions.reduce((n, p) => n + p.outputFiles, 0)} in ${r.ms} ms`),
      failed: (dataset, error) => this.logger.warn(`${dataset}: background compaction failed: ${error.message}`),
    });
  }

  onApplicationBootstrap(): void {
    this.compactor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.compactor.stop();
  }
}
