export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** An asynchronous materialisation job, as its caller polls it. */
export interface JobRecord {
  readonly jobId: string;
  readonly kind: 'materialize';
  readonly view: string;
  readonly version: number;
  readonly status: JobStatus;
  readonly rows: number;
  readonly start: string | null;
  readonly end: string | null;
  readonly error?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Jobs by id; one record per call (a job is only ever updated by the process that runs it). */
export interface JobRepository {
  putJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  /** The newest jobs first (job ids start with their creation time), at most `limit`. */
  listJobs(limit: number): Promise<JobRecord[]>;
}
