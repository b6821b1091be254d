import type { MonitorEvaluation, MonitorRecord, MonitorRepository } from '../../monitor.repository';
import { PgKv } from './pg-kv';
import type { PgPool } from './pg.pool';

/** MonitorRepository in PostgreSQL (registry_monitors). */
export class PgMonitorRepository implements MonitorRepository {
  private readonly kv = new PgKv('registry_monitors');

  constructor(private readonly pool: PgPool) {}

  async putMonitor(monitor: MonitorRecord): Promise<void> {
    await this.kv.put(this.pool, `monitor/${monitor.id}`, monitor);
  }

  async getMonitor(id: string): Promise<MonitorRecord | undefined> {
    return this.kv.get<MonitorRecord>(this.pool, `monitor/${id}`);
  }

  async listMonitors(): Promise<MonitorRecord[]> {
    return this.kv.rangeValues<MonitorRecord>(this.pool, 'monitor/');
  }

  async deleteMonitor(id: string): Promise<boolean> {
    return this.kv.remove(this.pool, `monitor/${id}`);
  }

  async setLast(id: string, last: MonitorEvaluation): Promise<void> {
    // The row stays locked from read to write: a monitor deleted meanwhile is not brought back.
    await this.pool.tx(async (q) => {
      const stored = await this.kv.getForUpdate<MonitorRecord>(q, `monitor/${id}`);
      if (stored) await this.kv.put(q, `monitor/${id}`, { ...stored, last });
    });
  }
}
