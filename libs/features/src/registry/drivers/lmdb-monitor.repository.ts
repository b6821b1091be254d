import type { RootDatabase } from 'lmdb';
import type { MonitorEvaluation, MonitorRecord, MonitorRepository } from '../monitor.repository';
import { rangeValues } from './lmdb-keys';

/** MonitorRepository in the registry's LMDB environment. */
export class LmdbMonitorRepository implements MonitorRepository {
  constructor(private readonly db: RootDatabase) {}

  async putMonitor(monitor: MonitorRecord): Promise<void> {
    await this.db.put(`monitor/${monitor.id}`, monitor);
  }

  async getMonitor(id: string): Promise<MonitorRecord | undefined> {
    return this.db.get(`monitor/${id}`) as MonitorRecord | undefined;
  }

  async listMonitors(): Promise<MonitorRecord[]> {
    return rangeValues<MonitorRecord>(this.db, 'monitor/');
  }

  async deleteMonitor(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.db.get(`monitor/${id}`) === undefined) return false;
      this.db.removeSync(`monitor/${id}`);
      return true;
    });
  }

  async setLast(id: string, last: MonitorEvaluation): Promise<void> {
    await this.db.transaction(() => {
      const stored = this.db.get(`monitor/${id}`) as MonitorRecord | undefined;
      if (stored) this.db.putSync(`monitor/${id}`, { ...stored, last });
    });
  }
}
