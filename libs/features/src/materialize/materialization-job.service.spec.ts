import type { JobRecord } from '../registry/job.repository';
import type { ViewVersionRecord } from '../registry/definition.repository';
import { FixedClock } from '../util/clock';
import { JOB_HEARTBEAT_MS, JOB_STALE_MS, MaterializationJobService, type JobRegistry } from './materialization-job.service';
import type { MaterializationPlanner } from './materialization.planner';

// The job service alone, with an in-memory job registry and a run the test settles itself.
class MemoryJobs implements JobRegistry {
  readonly records = new Map<string, JobRecord>();
  readonly writes: JobRecord[] = [];
  async putJob(job: JobRecord): Promise<void> {
    this.records.set(job.jobId, job);
    this.writes.push(job);
  }
  async getJob(id: string): Promise<JobRecord | undefined> {
    return this.records.get(id);
  }
  async listJobs(limit: number): Promise<JobRecord[]> {
    return [...this.records.values()].slice(0, limit);
  }
}

const T0 = new Date('2026-03-02T10:00:00.000Z');
const planner = {
  plan: async () => ({ record: { name: 'v', version: 1 } as ViewVersionRecord, parts: [{ lo: T0, loInclusive: true, hi: T0, hiInclusive: true }], bounds: { start: T0, end: T0 }, revision: [], sourceSeq: 1 }),
} as unknown as MaterializationPlanner;

function setup() {
  const clock = new FixedClock(T0);
  const jobs = new MemoryJobs();
  let settle: (rows: number) => void = () => undefined;
  const run = () => new Promise<{ rows: number }>((resolve) => (settle = (rows) => resolve({ rows })));
  return { clock, jobs, service: new MaterializationJobService(jobs, clock, planner, run), settle: (rows: number) => settle(rows) };
}

describe('MaterializationJobService heartbeats', () => {
  afterEach(() => jest.useRealTimers());

  it('writes a running job again every heartbeat, and the final record last', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { clock, jobs, service, settle } = setup();
    const started = await service.start({ view: 'v' });
    for (let i = 1; i <= 3; i++) {
      clock.set(new Date(T0.getTime() + i * JOB_HEARTBEAT_MS));
      await jest.advanceTimersByTimeAsync(JOB_HEARTBEAT_MS);
    }
    expect(jobs.writes.map((w) => [w.status, w.updatedAt])).toEqual([0, 1, 2, 3].map((i) => ['running', new Date(T0.getTime() + i * JOB_HEARTBEAT_MS).toISOString()]));
    settle(42);
    await started.finished;
    await jest.advanceTimersByTimeAsync(5 * JOB_HEARTBEAT_MS);
    expect(jobs.writes.at(-1)).toMatchObject({ status: 'succeeded', rows: 42 });
    expect((await service.get(started.job.jobId)).status).toBe('succeeded');
  });

  it('reports a running job without a heartbeat for JOB_STALE_MS as failed, naming when its process stopped', async () => {
    const { clock, jobs, service, settle } = setup();
    const started = await service.start({ view: 'v' });
    // Its process died: the record is the last one it wrote.
    const record = jobs.records.get(started.job.jobId)!;
    clock.set(new Date(T0.getTime() + JOB_STALE_MS));
    expect((await service.get(record.jobId)).status).toBe('running');
    clock.set(new Date(T0.getTime() + JOB_STALE_MS + 1));
    const seen = await service.get(record.jobId);
    expect(seen).toMatchObject({ status: 'failed', error: expect.stringContaining(record.updatedAt) });
    expect((await service.list(10)).map((j) => j.status)).toEqual(['failed']);
    // Nothing written by the read.
    expect(jobs.records.get(record.jobId)).toEqual(record);
    settle(0);
    await started.finished;
  });
});
