import type { RootDatabase } from 'lmdb';
import type { OutboxEntry, RunLink, RunRepository } from '../run.repository';
import { padded, rangeValues } from './lmdb-keys';

/** RunRepository in the registry's LMDB environment. */
export class LmdbRunRepository implements RunRepository {
  constructor(private readonly db: RootDatabase) {}

  async linkRun(link: RunLink, versions: ReadonlyArray<{ view: string; version: number }>): Promise<void> {
    await this.db.transaction(() => {
      const key = `run/${link.runId}/${link.trainingSetId}`;
      if (this.db.get(key)) return; // linking twice keeps the first link time
      this.db.putSync(key, link);
      for (const v of versions) this.db.putSync(`version-run/${v.view}/${padded(v.version, 8)}/${link.runId}/${link.trainingSetId}`, link);
    });
  }

  async runLinks(runId: string): Promise<RunLink[]> {
    return rangeValues<RunLink>(this.db, `run/${runId}/`);
  }

  async runsOfVersion(view: string, version: number): Promise<RunLink[]> {
    return rangeValues<RunLink>(this.db, `version-run/${view}/${padded(version, 8)}/`);
  }

  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.db.put(outboxKey(entry), entry);
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return rangeValues<OutboxEntry>(this.db, 'outbox/');
  }

  async removeOutbox(entry: OutboxEntry): Promise<void> {
    await this.db.remove(outboxKey(entry));
  }
}

function outboxKey(entry: OutboxEntry): string {
  return `outbox/${entry.sink}/${entry.runId}/${entry.trainingSetId}`;
}
