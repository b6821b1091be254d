import type { JobRecord, JobRepository } from '../../job.repository';
import { PgKv } from './pg-kv';
import type { PgPool } from './pg.pool';

/** JobRepository in PostgreSQL (registry_jobs; job ids start with their time, so key order is time order). */
export class PgJobRepository implements JobRepository {
  private readonly kv = new PgKv('registry_jobs');

  constructor(private readonly pool: PgPool) {}

  async putJob(job: JobRecord): Promise<void> {
    await this.kv.put(this.pool, `job/${job.jobId}`, job);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.kv.get<JobRecord>(this.pool, `job/${jobId}`);
  }

  async listJobs(limit: number): Promise<JobRecord[]> {
    return (await this.kv.range<JobRecord>(this.pool, 'job/', { reverse: true, limit })).map((r) => r.value);
  }
}
