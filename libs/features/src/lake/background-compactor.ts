import { join } from 'node:path';
import type { LakeConfig } from '../config/app-config';
import type { DatasetRepository } from '../registry/dataset.repository';
import type { MaterializationRepository } from '../registry/materialization.repository';
import type { Clock } from '../util/clock';
import { DuckDbClient } from '../duckdb/duckdb.client';
import { LakeCompactionService, type CompactionReport } from './lake-compaction.service';
import type { LakeRepository } from './lake.repository';

/** What the background compactor tells its host (a log line each). */
export interface CompactorObserver {
  compacted(report: CompactionReport): void;
  failed(dataset: string, error: Error): void;
}

/**
 * Compaction in the background of a long-running process (the API, the stream worker): every
 * `compactionIntervalMs` it compacts the partitions of each dataset that hold at least
 * `minSmallFiles` small files, one partition at a time, and removes what the grace period freed.
 * Low priority: it has a DuckDB of its own with one thread, so queries keep the others. Several
 * processes may run one: a partition's lease lets one of them at a time compact it.
 */
export class BackgroundCompactor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private db: DuckDbClient | null = null;
  private stopped = false;

  constructor(
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetRepository,
    private readonly leases: Pick<MaterializationRepository, 'acquireLease' | 'releaseLease'>,
    private readonly clock: Clock,
    private readonly config: LakeConfig,
    private readonly tmpDir: string,
    private readonly observer: CompactorObserver,
  ) {}

  /** Starts the timer (nothing when the interval is 0). */
  start(): void {
    if (this.config.compactionIntervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.config.compactionIntervalMs);
    this.timer.unref();
  }

  /** One pass over every dataset now (also what the timer runs); resolves when it is done. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Stops the timer, waits for a pass in progress to end its current partition, closes its DuckDB. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    this.db?.close();
    this.db = null;
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    this.db ??= await DuckDbClient.open({ threads: 1, tempDirectory: join(this.tmpDir, 'duckdb-compaction') });
    const service = new LakeCompactionService(this.db, this.lake, this.datasets, this.leases, this.clock, this.config);
    for (const schema of await this.datasets.listDatasets()) {
      if (this.stopped) return;
      try {
        const report = await service.compactDataset(schema.name, { minSmallFiles: this.config.minSmallFiles, shouldStop: () => this.stopped });
        if (report.partitions.length) this.observer.compacted(report);
      } catch (error) {
        this.observer.failed(schema.name, error as Error);
      }
    }
  }
}
