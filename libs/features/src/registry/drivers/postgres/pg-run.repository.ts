import type { DeliveryRecord, OutboxEntry, RunLink, RunRepository } from '../../run.repository';
import { padded } from '../lmdb-keys';
import { PgKv } from './pg-kv';
import type { PgPool } from './pg.pool';

/** RunRepository in PostgreSQL (registry_runs): links, their index by feature version, the outbox and outcomes. */
export class PgRunRepository implements RunRepository {
  private readonly kv = new PgKv('registry_runs');

  constructor(private readonly pool: PgPool) {}

  async linkRun(link: RunLink, versions: ReadonlyArray<{ view: string; version: number }>): Promise<void> {
    await this.pool.tx(async (q) => {
      // The insert decides who links first (linking twice keeps the first link time); the index
      // entries go in the same transaction, so lineage never answers one way and not the other.
      if (!(await this.kv.insertIfAbsent(q, `run/${link.runId}/${link.trainingSetId}`, link))) return;
      for (const v of versions) await this.kv.put(q, `version-run/${v.view}/${padded(v.version, 8)}/${link.runId}/${link.trainingSetId}`, link);
    });
  }

  async runLinks(runId: string): Promise<RunLink[]> {
    return this.kv.rangeValues<RunLink>(this.pool, `run/${runId}/`);
  }

  async allRunLinks(): Promise<RunLink[]> {
    return this.kv.rangeValues<RunLink>(this.pool, 'run/');
  }

  async runsOfVersion(view: string, version: number): Promise<RunLink[]> {
    return this.kv.rangeValues<RunLink>(this.pool, `version-run/${view}/${padded(version, 8)}/`);
  }

  async putOutbox(entry: OutboxEntry): Promise<void> {
    await this.kv.put(this.pool, outboxKey(entry), entry);
  }

  async listOutbox(sink?: string, runId?: string): Promise<OutboxEntry[]> {
    // Run ids hold no '/' (RUN_ID_PATTERN), so `<runId>/` is that run's range and no other's.
    return this.kv.rangeValues<OutboxEntry>(this.pool, sink === undefined ? 'outbox/' : runId === undefined ? `outbox/${sink}/` : `outbox/${sink}/${runId}/`);
  }

  async removeOutbox(entry: OutboxEntry): Promise<void> {
    await this.kv.remove(this.pool, outboxKey(entry));
  }

  async settleOutbox(entry: OutboxEntry, record: DeliveryRecord): Promise<void> {
    await this.pool.tx(async (q) => {
      await this.kv.remove(q, outboxKey(entry));
      await this.kv.put(q, `delivery/${record.sink}/${record.runId}/${record.trainingSetId}`, record);
    });
  }

  async deliveries(sink: string, runId: string): Promise<DeliveryRecord[]> {
    return this.kv.rangeValues<DeliveryRecord>(this.pool, `delivery/${sink}/${runId}/`);
  }
}

function outboxKey(entry: Pick<OutboxEntry, 'sink' | 'runId' | 'trainingSetId'>): string {
  return `outbox/${entry.sink}/${entry.runId}/${entry.trainingSetId}`;
}
