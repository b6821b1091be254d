import { Inject, Injectable } from '@nestjs/common';
import { DatasetService, LakeCompactionService, type LakeLayout } from '@app/features';
import { Gauge } from 'prom-client';
import { ApiMetrics } from '../metrics/api-metrics';

// Listing a lake of many small files takes a while: scrapes within this interval share one.
const LAYOUT_TTL_MS = 15_000;

/**
 * The lake's files as Prometheus gauges, per dataset; per partition only the small files of
 * partitions holding two or more (those compaction will merge): one series per partition of a
 * years-long daily layout would be thousands.
 */
@Injectable()
export class LakeMetrics {
  private readonly gauges: { files: Gauge; bytes: Gauge; small: Gauge; partitions: Gauge; partitionSmall: Gauge };
  private layouts: Promise<Map<string, LakeLayout>> | null = null;
  private readAt = 0;

  constructor(
    @Inject(DatasetService) private readonly datasets: DatasetService,
    @Inject(LakeCompactionService) private readonly compaction: LakeCompactionService,
    @Inject(ApiMetrics) metrics: ApiMetrics,
  ) {
    const registers = [metrics.registry];
    const collect = (): Promise<void> => this.refresh();
    const dataset = ['dataset'];
    this.gauges = {
      files: new Gauge({ name: 'feature_store_lake_files', help: 'Parquet files readers read, by dataset.', labelNames: dataset, registers, collect }),
      bytes: new Gauge({ name: 'feature_store_lake_bytes', help: 'Bytes of the Parquet files readers read, by dataset.', labelNames: dataset, registers, collect }),
      small: new Gauge({ name: 'feature_store_lake_small_files', help: 'Files under half the compaction target size, by dataset.', labelNames: dataset, registers, collect }),
      partitions: new Gauge({ name: 'feature_store_lake_partitions', help: 'Partitions (date= folders) holding files, by dataset.', labelNames: dataset, registers, collect }),
      partitionSmall: new Gauge({
        name: 'feature_store_lake_partition_small_files',
        help: 'Small files of each partition holding two or more (what compaction merges), by dataset and partition.',
        labelNames: ['dataset', 'partition'],
        registers,
        collect,
      }),
    };
  }

  private async refresh(): Promise<void> {
    if (!this.layouts || Date.now() - this.readAt > LAYOUT_TTL_MS) {
      this.readAt = Date.now();
      this.layouts = this.read();
    }
    const layouts = await this.layouts.catch(() => null);
    if (!layouts) return; // the store cannot answer (closing): keep the last values
    for (const g of Object.values(this.gauges)) g.reset();
    for (const [dataset, l] of layouts) {
      this.gauges.files.set({ dataset }, l.files);
      this.gauges.bytes.set({ dataset }, l.bytes);
      this.gauges.small.set({ dataset }, l.smallFiles);
      this.gauges.partitions.set({ dataset }, l.partitions.length);
      for (const p of l.partitions) if (p.smallFiles >= 2) this.gauges.partitionSmall.set({ dataset, partition: p.partition }, p.smallFiles);
    }
  }

  private async read(): Promise<Map<string, LakeLayout>> {
    const out = new Map<string, LakeLayout>();
    for (const d of await this.datasets.list()) out.set(d.name, await this.compaction.layout(d.name));
    return out;
  }
}
