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

/** How often the process running a job writes its record again (its heartbeat, in `updatedAt`). */
export const JOB_HEARTBEAT_MS = 2_000;
/**
 * A running job whose record has not been written for this long is reported failed: the process
 * running it ended (killed, or its machine gone) before it finished. Well above the heartbeat, so
 * a loaded machine's late timer is not taken for a death.
 */
export const JOB_STALE_MS = 15_000;

/**
 * Materialisation as a background job (the API's asynchronous route): the job record is written
 * before the run starts, again every JOB_HEARTBEAT_MS while it runs, and when it ends, so any
 * process can report on it, also on a job whose process died (JOB_STALE_MS).
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
    // Every write of the record goes through one chain, so no heartbeat lands after the final one.
    let writes: Promise<void> = Promise.resolve();
    const write = (next: JobRecord) => (writes = writes.then(() => this.registry.putJob(next)).catch(() => undefined));
    const heartbeat = setInterval(() => void write({ ...job, updatedAt: this.clock.now().toISOString() }), JOB_HEARTBEAT_MS);
    heartbeat.unref();
    const finished = this.run({ view: record.name, version: record.version, start: bounds?.start, end: bounds?.end }).then(
      (result): JobRecord => ({ ...job, status: 'succeeded', rows: result.rows, updatedAt: this.clock.now().toISOString() }),
      (error: unknown): JobRecord => ({ ...job, status: 'failed', error: (error as Error).message, updatedAt: this.clock.now().toISOString() }),
    ).then((final) => {
      clearInterval(heartbeat);
      return write(final);
    });
    return { job, done: false, finished: finished.catch(() => undefined) };
  }

  /** A job's record; NOT_FOUND for an unknown id. */
  async get(jobId: string): Promise<JobRecord> {
    const job = await this.registry.getJob(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} does not exist`, { field: 'jobId' });
    return this.asSeen(job);
  }

  /** The newest jobs first, at most `limit`. */
  async list(limit: number): Promise<JobRecord[]> {
    return (await this.registry.listJobs(limit)).map((job) => this.asSeen(job));
  }

  // A running job without a heartbeat for JOB_STALE_MS is reported failed (not written: the
  // record stays the last one its process wrote).
  private asSeen(job: JobRecord): JobRecord {
    if (job.status !== 'running' || this.clock.now().getTime() - Date.parse(job.updatedAt) <= JOB_STALE_MS) return job;
    return { ...job, status: 'failed', error: `the process running this job stopped at ${job.updatedAt} (no heartbeat since) before it finished; materialise again` };
  }
}
