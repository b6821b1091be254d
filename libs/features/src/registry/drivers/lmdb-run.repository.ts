import type { RootDatabase } from 'lmdb';
import type { DeliveryRecord, OutboxEntry, RunLink, RunRepository } from '../run.repository';
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

  async allRunLinks(): Promise<RunLink[]> {
    return rangeValues<RunLink>(this.db, 'run/');
  }

  async runsOfVersion(view: string, version: number): Promise<RunLink[]> {
    return rangeValues<RunLink>(this.db, `version-run/${view}/${padded(version, 8)}/`);
  }

  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.db.put(outboxKey(entry), entry);
  }

  async listOutbox(sink?: string, runId?: string): Promise<OutboxEntry[]> {
    // Run ids hold no '/' (RUN_ID_PATTERN), so `<runId>/` is that run's range and no other's.
    return rangeValues<OutboxEntry>(this.db, sink === undefined ? 'outbox/' : runId === undefined ? `outbox/${sink}/` : `outbox/${sink}/${runId}/`);
  }

  async removeOutbox(entry: OutboxEntry): Promise<void> {
    await this.db.remove(outboxKey(entry));
  }

  async settleOutbox(entry: OutboxEntry, record: DeliveryRecord): Promise<void> {
    await this.db.transaction(() => {
      this.db.removeSync(outboxKey(entry));
      this.db.putSync(`delivery/${record.sink}/${record.runId}/${record.trainingSetId}`, record);
    });
  }

  async deliveries(sink: string, runId: string): Promise<DeliveryRecord[]> {
    return rangeValues<DeliveryRecord>(this.db, `delivery/${sink}/${runId}/`);
  }
}

function outboxKey(entry: Pick<OutboxEntry, 'sink' | 'runId' | 'trainingSetId'>): string {
  return `outbox/${entry.sink}/${entry.runId}/${entry.trainingSetId}`;
}
