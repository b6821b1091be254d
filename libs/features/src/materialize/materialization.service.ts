import type { DatasetService } from '../datasets/dataset.service';
import type { FeatureViewService } from '../definitions/feature-view.service';
import { silentProgress, type ProgressSink } from '../ingest/progress';
import type { LakeRepository } from '../lake/lake.repository';
import type { OfflineStoreRepository } from '../offline/offline-store.repository';
import type { OnlineStoreDriver } from '../online/online-store.driver';
import type { JobRecord } from '../registry/job.repository';
import type { MaterializationState } from '../registry/materialization.repository';
import type { Registry } from '../registry/registry';
import { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import type { Clock } from '../util/clock';
import { PhaseTimer } from '../util/phase-timer';
import { MaterializationJobService, type StartedJob } from './materialization-job.service';
import { MaterializationLease } from './materialization.lease';
import { MaterializationPlanner, type MaterializePlan, type MaterializeRequest } from './materialization.planner';
import { materializationSelect, oneStepPerKeySql, sourceReadsUntil } from './materialization.sql';
import { lookbackMs } from './lookback';
import { PartWriter } from './part.writer';
import { RevisionService } from './revision.service';


export interface MaterializeResult {
  readonly view: string;
  readonly version: number;
  /** Offline rows written by this run (0 when the range was already materialised). */
  readonly rows: number;
  readonly onlineRows: number;
  readonly ranges: ReadonlyArray<{ readonly start: string; readonly end: string; readonly rows: number; readonly file: string | null }>;
  /**
   * Offline rows written because source rows arrived after the range was materialised: late bars
   * and corrections (new rows beside the old ones, with a later created_ts; see RevisionService).
   */
  readonly revisedRows: number;
  readonly alreadyDone: boolean;
  readonly state: MaterializationState | null;
  readonly elapsedMs: number;
  /** Milliseconds per phase (sandbox, compute, online, registry), for benchmarks and tuning. */
  readonly phases: Readonly<Record<string, number>>;
}

/** The registry aggregates a materialisation reads and writes. */
export type MaterializationRegistry = Pick<Registry, 'definitions' | 'materializations' | 'jobs'>;

/**
 * Computes a view version over a time range into the offline store (OfflineStoreRepository) and
 * its latest row per key into the online store. Incremental: only the part of the range not
 * materialised before is computed (with the view's lookback of history before it), and batches
 * that arrived since inside the materialised part revise it. Idempotent: a second run of the same
 * range writes nothing. The view's SQL runs in the locked-down sandbox.
 */
export class MaterializationService {
  private readonly running = new Map<string, Promise<MaterializeResult>>();
  private readonly listeners: Array<(result: MaterializeResult) => void> = [];
  private readonly planner: MaterializationPlanner;
  private readonly lease: MaterializationLease;
  private readonly jobs: MaterializationJobService;
  private readonly parts: PartWriter;
  private readonly revisions: RevisionService;

  constructor(
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetService,
    features: FeatureViewService,
    private readonly registry: MaterializationRegistry,
    private readonly offline: OfflineStoreRepository,
    online: OnlineStoreDriver,
    private readonly clock: Clock,
    private readonly engine: { threads?: number; memoryLimit?: string } = {},
  ) {
    this.planner = new MaterializationPlanner(datasets, features, registry.materializations);
    this.lease = new MaterializationLease(registry.materializations, clock);
    this.jobs = new MaterializationJobService(registry.jobs, clock, this.planner, (request) => this.run(request));
    this.parts = new PartWriter(offline, online);
    this.revisions = new RevisionService(lake, datasets, offline, this.parts, engine);
  }

  /**
   * Runs a materialisation to the end, in this process. While another process holds the
   * version's lease: a CONFLICT, or with `waitForLeaseMs` a wait for it (then the range it
   * computed is not computed again).
   */
  async run(request: MaterializeRequest, progress: ProgressSink = silentProgress, options: { readonly waitForLeaseMs?: number } = {}): Promise<MaterializeResult> {
    const started = Date.now();
    const resolved = await this.planner.resolve(request);
    const key = `${resolved.name}@${resolved.version}`;
    // One run per version at a time in this process, and the plan is made after the previous
    // run finished, so two requests for the same range compute it once.
    const previous = this.running.get(key);
    const work = (async () => {
      if (previous) await previous.catch(() => undefined);
      return this.lease.hold(resolved.name, resolved.version, async () => {
        await this.offline.removeUnrecordedParts(resolved.name, resolved.version, await this.registry.materializations.getMaterialization(resolved.name, resolved.version));
        return this.materialize(await this.planner.plan({ ...request, version: resolved.version }), progress, started);
      }, options.waitForLeaseMs);
    })();
    this.running.set(key, work);
    let result: MaterializeResult;
    try {
      result = await work;
    } finally {
      if (this.running.get(key) === work) this.running.delete(key);
    }
    if (!result.alreadyDone) for (const listener of this.listeners) listener(result);
    return result;
  }

  /**
   * Calls `listener` after each run that computed or revised something (drift monitors). It runs
   * after the run ended, must not throw and must not make the run wait (queue the work).
   */
  onMaterialized(listener: (result: MaterializeResult) => void): void {
    this.listeners.push(listener);
  }

  /** Starts a materialisation job: returns at once with the job, which runs in the background; `done` is true when there was nothing to compute. */
  startJob(request: MaterializeRequest): Promise<StartedJob> {
    return this.jobs.start(request);
  }

  /** A materialisation job's record; NOT_FOUND for an unknown id. */
  getJob(jobId: string): Promise<JobRecord> {
    return this.jobs.get(jobId);
  }

  /** The newest materialisation jobs first, at most `limit`. */
  listJobs(limit: number): Promise<JobRecord[]> {
    return this.jobs.list(limit);
  }

  // Carries out a plan under the lease: the revision of the materialised range, then the missing
  // parts, then the state (which grows only once every part is in place).
  private async materialize({ record, parts, bounds, revision, sourceSeq }: MaterializePlan, progress: ProgressSink, started: number): Promise<MaterializeResult> {
    const view = record.definition;
    const ranges: Array<{ start: string; end: string; rows: number; file: string | null }> = [];
    const stopwatch = new PhaseTimer();
    let onlineRows = 0;
    let revisedRows = 0;
    let keyCount = 0;
    // Still the stored state when the new one is written: the lease keeps other runs of this version out.
    const before = await this.registry.materializations.getMaterialization(record.name, record.version);
    if (bounds && (parts.length > 0 || revision.length > 0)) {
      const schema = await this.datasets.schema(view.source);
      const keys = (await this.registry.definitions.getEntity(view.entity))!.joinKeys;
      const dir = await this.offline.openVersion(record.name, record.version);
      const lookback = lookbackMs(view);
      if (revision.length > 0 && before) {
        const revised = await this.revisions.revise(record, schema, keys, before, revision, lookback, sourceSeq);
        if (revised) {
          ranges.push(revised.range);
          revisedRows = revised.range.rows;
          onlineRows += revised.onlineRows;
        }
        stopwatch.mark('revise');
      }
      for (const part of parts) {
        const from = lookback === null ? undefined : new Date(part.lo.getTime() - lookback);
        const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(view.source)], writable: [dir] }, this.engine);
        try {
          const between = { from, to: sourceReadsUntil(view, part.hi) };
          await sandbox.defineSource(schema, await this.datasets.currentRowsSql(schema, between), await this.datasets.allRowsSql(schema, between));
          stopwatch.mark('sandbox');
          const oneStep = (await sandbox.session.one<{ one: boolean }>(oneStepPerKeySql(keys)))?.one === true;
          const select = materializationSelect(view, keys, schema.timestampColumn, part, lookback, oneStep);
          const written = await this.parts.write(sandbox, record, keys, part, select, progress);
          stopwatch.mark('compute+write+online');
          onlineRows += written.onlineRows;
          keyCount = Math.max(keyCount, written.keys);
          ranges.push({ start: part.lo.toISOString(), end: part.hi.toISOString(), rows: written.rows, file: written.file });
        } finally {
          sandbox.close();
        }
      }
    }
    const rows = ranges.reduce((n, r) => n + r.rows, 0);
    // The state moves on whenever something was computed or later batches were looked at.
    if (bounds && (ranges.length > 0 || before?.sourceSeq !== sourceSeq)) {
      await this.registry.materializations.setMaterialization(record.name, record.version, {
        start: new Date(Math.min(bounds.start.getTime(), before ? Date.parse(before.start) : Infinity)).toISOString(),
        end: new Date(Math.max(bounds.end.getTime(), before ? Date.parse(before.end) : -Infinity)).toISOString(),
        rows: (before?.rows ?? 0) + rows,
        updatedAt: this.clock.now().toISOString(),
        sourceSeq,
        revisedRows: (before?.revisedRows ?? 0) + revisedRows,
        keys: Math.max(before?.keys ?? 0, keyCount),
      });
    }
    stopwatch.mark('registry');
    progress.done();
    return {
      view: record.name,
      version: record.version,
      rows,
      onlineRows,
      ranges,
      revisedRows,
      alreadyDone: parts.length === 0 && revision.length === 0,
      state: (await this.registry.materializations.getMaterialization(record.name, record.version)) ?? null,
      elapsedMs: Date.now() - started,
      phases: stopwatch.phases,
    };
  }
}
