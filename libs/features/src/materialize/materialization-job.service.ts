import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../errors/feature-store.error';
import type { JobRecord, JobRepository } from '../registry/job.repository';
import type { Clock } from '../util/clock';
import type { MaterializationPlanner, MaterializeRequest } from './materialization.planner';

/** A started job: its first record, whether it is already done, and when it ends. */
export interface StartedJob {
  readonly job: JobRecord;
  readonly done: boolean;
  readonly finished: Promise<void>;
}

/** What jobs read and write in the registry. */
export type JobRegistry = Pick<JobRepository, 'putJob' | 'getJob' | 'listJobs'>;

/**
 * Materialisation as a background job (the API's asynchronous route): the job record is written
 * before the run starts and updated when it ends, so any process can report on it.
 */
export class MaterializationJobService {
  constructor(
    private readonly registry: JobRegistry,
    private readonly clock: Clock,
    private readonly planner: MaterializationPlanner,
    private readonly run: (request: MaterializeRequest) => Promise<{ readonly rows: number }>,
  ) {}

  /**
   * Starts a job and returns at once; `done` is true when there was nothing to compute (the job is
   * then already succeeded); `finished` settles (never rejects) when the job's record is final.
   */
  async start(request: MaterializeRequest): Promise<StartedJob> {
    const { record, parts, bounds, revision } = await this.planner.plan(request);
    const nothingToDo = parts.length === 0 && revision.length === 0;
    const now = this.clock.now().toISOString();
    const job: JobRecord = {
      jobId: `mat-${now.replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`,
      kind: 'materialize',
      view: record.name,
      version: record.version,
      status: nothingToDo ? 'succeeded' : 'running',
      rows: 0,
      start: bounds?.start.toISOString() ?? null,
      end: bounds?.end.toISOString() ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.registry.putJob(job);
    if (nothingToDo) return { job, done: true, finished: Promise.resolve() };
    const finished = this.run({ view: record.name, version: record.version, start: bounds?.start, end: bounds?.end }).then(
      (result) => this.registry.putJob({ ...job, status: 'succeeded', rows: result.rows, updatedAt: this.clock.now().toISOString() }),
      (error: unknown) => this.registry.putJob({ ...job, status: 'failed', error: (error as Error).message, updatedAt: this.clock.now().toISOString() }),
    );
    return { job, done: false, finished: finished.catch(() => undefined) };
  }

  /** A job's record; NOT_FOUND for an unknown id. */
  async get(jobId: string): Promise<JobRecord> {
    const job = await this.registry.getJob(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} does not exist`, { field: 'jobId' });
    return job;
  }

  /** The newest jobs first, at most `limit`. */
  list(limit: number): Promise<JobRecord[]> {
    return this.registry.listJobs(limit);
  }
}
