import type { RootDatabase } from 'lmdb';
import type { JobRecord, JobRepository } from '../job.repository';

/** JobRepository in the registry's LMDB environment. */
export class LmdbJobRepository implements JobRepository {
  constructor(private readonly db: RootDatabase) {}

  async putJob(job: JobRecord): Promise<void> {
    await this.db.put(`job/${job.jobId}`, job);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.db.get(`job/${jobId}`) as JobRecord | undefined;
  }

  async listJobs(limit: number): Promise<JobRecord[]> {
    return [...this.db.getRange({ start: 'job/\uffff', end: 'job/', reverse: true, limit })].map((e) => e.value as JobRecord);
  }
}
