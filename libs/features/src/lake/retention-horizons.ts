import { join } from 'node:path';
import type { LakeRepository } from './lake.repository';

const FILE = '_retention.json';

/**
 * The retention horizon of each dataset: row versions superseded at or before it may have been
 * dropped by compaction, so a `knownAt` before it cannot be answered. Kept in the dataset's lake
 * folder (it describes the files), only ever moved forward, written before the compaction whose
 * outputs drop anything is committed.
 */
export class RetentionHorizons {
  constructor(private readonly lake: LakeRepository) {}

  async get(dataset: string): Promise<Date | null> {
    try {
      const { horizon } = JSON.parse(await this.lake.fileSystem.readText(join(this.lake.datasetDir(dataset), FILE))) as { horizon: string };
      return new Date(horizon);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async raise(dataset: string, horizon: Date): Promise<void> {
    const current = await this.get(dataset);
    if (current && current >= horizon) return;
    const dir = this.lake.datasetDir(dataset);
    const temp = join(dir, `.${FILE}.tmp`);
    await this.lake.fileSystem.writeText(temp, JSON.stringify({ horizon: horizon.toISOString() }));
    await this.lake.fileSystem.sync([temp]);
    await this.lake.fileSystem.rename(temp, join(dir, FILE));
    await this.lake.fileSystem.sync([dir]);
  }
}
