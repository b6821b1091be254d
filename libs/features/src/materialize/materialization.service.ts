import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetService } from '../datasets/dataset.service';
import { INGESTED_AT } from '../datasets/dataset.schema';
import type { SqlRow } from '../duckdb/duckdb.client';
import type { FeatureViewService } from '../definitions/feature-view.service';
import { ErrorCode, FeatureStoreError, InvalidArgumentError, NotFoundError } from '../errors/feature-store.error';
import type { LakeRepository } from '../lake/lake.repository';
import { silentProgress, type ProgressSink } from '../ingest/progress';
import type { OnlineRow, OnlineStoreDriver } from '../online/online-store.driver';
import type { FeatureRegistry, JobRecord, LeaseOwner, MaterializationState, ViewVersionRecord } from '../registry/feature-registry';
import { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import { assertIdentifier, quoteIdent, quoteLiteral } from '../sql/identifier';
import type { Clock } from '../util/clock';
import { PhaseTimer } from '../util/phase-timer';
import { parseDuration } from '../util/time';
import { materializationSelect, oneStepPerKeySql, type TimeRange } from './materialization.sql';

export interface MaterializeRequest {
  readonly view: string;
  /** The version to materialise; the latest when absent (resolved and reported). */
  readonly version?: number;
  readonly start?: Date;
  readonly end?: Date;
}

/** What an online refresh wrote for one view version. */
export interface OnlineRefresh {
  readonly view: string;
  readonly version: number;
  /** Keys with a computed row in the refreshed range. */
  readonly keys: number;
  /** Rows newer than what the online store held. */
  readonly written: number;
}

export interface MaterializeResult {
  readonly view: string;
  readonly version: number;
  /** Offline rows written by this run (0 when the range was already materialised). */
  readonly rows: number;
  readonly onlineRows: number;
  readonly ranges: ReadonlyArray<{ readonly start: string; readonly end: string; readonly rows: number; readonly file: string | null }>;
  readonly alreadyDone: boolean;
  readonly state: MaterializationState | null;
  readonly elapsedMs: number;
  /** Milliseconds per phase (sandbox, compute, online, registry), for benchmarks and tuning. */
  readonly phases: Readonly<Record<string, number>>;
}

/**
 * Computes a view version over a time range into the offline store
 * (`offline/<view>/v<N>/*.parquet`: keys, event_ts, created_ts, features) and its latest row per
 * key into the online store. Incremental: only the part of the range not materialised before is
 * computed (with the view's lookback of history before it). Idempotent: a second run of the same
 * range writes nothing. The view's SQL runs in the locked-down sandbox.
 */
export class MaterializationService {
  private readonly running = new Map<string, Promise<MaterializeResult>>();

  constructor(
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetService,
    private readonly features: FeatureViewService,
    private readonly registry: FeatureRegistry,
    private readonly online: OnlineStoreDriver,
    private readonly clock: Clock,
    private readonly offlineDir: string,
    private readonly engine: { threads?: number; memoryLimit?: string } = {},
  ) {}

  /** Where a view version's offline files live. */
  versionDir(view: string, version: number): string {
    assertIdentifier(view, 'view');
    return join(this.offlineDir, view, `v${version}`);
  }

  /** Resolves the version and the parts of the range still to compute. */
  async plan(request: MaterializeRequest): Promise<{ record: ViewVersionRecord; parts: TimeRange[]; bounds: { start: Date; end: Date } | null }> {
    const record = await this.resolve(request);
    const dataset = await this.datasets.timeBounds(record.definition.source);
    const start = request.start ?? (dataset.minTs ? new Date(dataset.minTs) : undefined);
    const end = request.end ?? (dataset.maxTs ? new Date(dataset.maxTs) : undefined);
    if (!start || !end) return { record, parts: [], bounds: null };
    if (start > end) throw new InvalidArgumentError('start must not be after end', { field: 'start' });
    const state = await this.registry.getMaterialization(record.name, record.version);
    return { record, parts: missingParts({ start, end }, state), bounds: { start, end } };
  }

  /** Runs a materialisation to the end, in this process. */
  async run(request: MaterializeRequest, progress: ProgressSink = silentProgress): Promise<MaterializeResult> {
    const started = Date.now();
    const resolved = await this.resolve(request);
    const key = `${resolved.name}@${resolved.version}`;
    // One run per version at a time in this process, and the plan is made after the previous
    // run finished, so two requests for the same range compute it once.
    const previous = this.running.get(key);
    const work = (async () => {
      if (previous) await previous.catch(() => undefined);
      return this.withLease(`materialize/${key}`, async () => {
        const { record, parts, bounds } = await this.plan({ ...request, version: resolved.version });
        return this.materializeParts(record, parts, bounds, progress, started);
      });
    })();
    this.running.set(key, work);
    try {
      return await work;
    } finally {
      if (this.running.get(key) === work) this.running.delete(key);
    }
  }

  /**
   * Starts a materialisation job: returns at once with the job, which runs in the background;
   * `done` is true when there was nothing to compute.
   */
  async startJob(request: MaterializeRequest): Promise<{ job: JobRecord; done: boolean }> {
    const { record, parts, bounds } = await this.plan(request);
    const now = this.clock.now().toISOString();
    const job: JobRecord = {
      jobId: `mat-${now.replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`,
      kind: 'materialize',
      view: record.name,
      version: record.version,
      status: parts.length === 0 ? 'succeeded' : 'running',
      rows: 0,
      start: bounds?.start.toISOString() ?? null,
      end: bounds?.end.toISOString() ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.registry.putJob(job);
    if (parts.length === 0) return { job, done: true };
    void this.run({ view: record.name, version: record.version, start: bounds?.start, end: bounds?.end }).then(
      (result) => this.registry.putJob({ ...job, status: 'succeeded', rows: result.rows, updatedAt: this.clock.now().toISOString() }),
      (error: unknown) => this.registry.putJob({ ...job, status: 'failed', error: (error as Error).message, updatedAt: this.clock.now().toISOString() }),
    );
    return { job, done: false };
  }

  async getJob(jobId: string): Promise<JobRecord> {
    const job = await this.registry.getJob(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} does not exist`, { field: 'jobId' });
    return job;
  }

  // One materialisation of a version at a time across processes: two would write the same rows twice.
  private async withLease<T>(name: string, work: () => Promise<T>): Promise<T> {
    const owner: LeaseOwner = { pid: process.pid, instance: INSTANCE, since: this.clock.now().toISOString() };
    const holder = await this.registry.acquireLease(name, owner, (h) => pidAlive(h.pid));
    if (holder) {
      throw new FeatureStoreError(ErrorCode.Conflict, `${name.replace('materialize/', '')} is being materialised by process ${holder.pid} since ${holder.since}; try again when it is done`, {
        holder,
      });
    }
    try {
      return await work();
    } finally {
      await this.registry.releaseLease(name, owner);
    }
  }

  private async resolve(request: MaterializeRequest): Promise<ViewVersionRecord> {
    const view = await this.features.get(request.view);
    const version = request.version ?? view.latest;
    return this.features.getVersion(request.view, version);
  }

  private async materializeParts(
    record: ViewVersionRecord,
    parts: readonly TimeRange[],
    bounds: { start: Date; end: Date } | null,
    progress: ProgressSink,
    started: number,
  ): Promise<MaterializeResult> {
    const view = record.definition;
    const ranges: Array<{ start: string; end: string; rows: number; file: string | null }> = [];
    const stopwatch = new PhaseTimer();
    let onlineRows = 0;
    if (parts.length > 0 && bounds) {
      const schema = await this.datasets.schema(view.source);
      const entity = (await this.registry.getEntity(view.entity))!;
      const dir = this.versionDir(record.name, record.version);
      await mkdir(dir, { recursive: true });
      const lookbackMs = view.lookback ? parseDuration(view.lookback, 'lookback').seconds * 1000 : null;
      for (const part of parts) {
        const from = lookbackMs === null ? undefined : new Date(part.lo.getTime() - lookbackMs);
        const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(view.source)], writable: [dir] }, this.engine);
        try {
          const between = { from, to: part.hi };
          await sandbox.defineSource(schema, await this.datasets.currentRowsSql(schema, between), await this.datasets.allRowsSql(schema, between));
          stopwatch.mark('sandbox');
          const runId = randomBytes(6).toString('hex');
          const tmp = join(dir, `.tmp-${runId}.parquet`);
          const oneStep = (await sandbox.session.one<{ one: boolean }>(oneStepPerKeySql(entity.joinKeys)))?.one === true;
          const select = materializationSelect(view, entity.joinKeys, schema.timestampColumn, part, oneStep);
          const timer = setInterval(() => {
            const p = sandbox.session.progress;
            progress.update(`materialize ${record.name}@${record.version}`, p.percentage >= 0 ? p.percentage / 100 : undefined, p.rowsProcessed);
          }, 250);
          let rows: number;
          try {
            rows = await sandbox.session.run(`COPY (${select}) TO ${quoteLiteral(tmp)} (FORMAT parquet)`);
          } finally {
            clearInterval(timer);
          }
          stopwatch.mark('compute+write');
          let file: string | null = null;
          if (rows > 0) {
            file = join(dir, `${compact(part.lo)}_${compact(part.hi)}_${runId}.parquet`);
            onlineRows += await this.pushOnline(sandbox, record, entity.joinKeys, tmp);
            stopwatch.mark('online');
            await rename(tmp, file);
          } else {
            await rm(tmp, { force: true });
          }
          ranges.push({ start: part.lo.toISOString(), end: part.hi.toISOString(), rows, file });
        } finally {
          sandbox.close();
        }
      }
      const state = await this.registry.getMaterialization(record.name, record.version);
      const rows = ranges.reduce((n, r) => n + r.rows, 0);
      await this.registry.setMaterialization(record.name, record.version, {
        start: new Date(Math.min(bounds.start.getTime(), state ? Date.parse(state.start) : Infinity)).toISOString(),
        end: new Date(Math.max(bounds.end.getTime(), state ? Date.parse(state.end) : -Infinity)).toISOString(),
        rows: (state?.rows ?? 0) + rows,
        updatedAt: this.clock.now().toISOString(),
      });
    }
    stopwatch.mark('registry');
    progress.done();
    return {
      view: record.name,
      version: record.version,
      rows: ranges.reduce((n, r) => n + r.rows, 0),
      onlineRows,
      ranges,
      alreadyDone: parts.length === 0,
      state: (await this.registry.getMaterialization(record.name, record.version)) ?? null,
      elapsedMs: Date.now() - started,
      phases: stopwatch.phases,
    };
  }

  // The latest row per key of what was just computed; the store keeps whichever is newer.
  private async pushOnline(sandbox: FeatureSqlSandbox, record: ViewVersionRecord, keys: readonly string[], file: string): Promise<number> {
    const keyCols = keys.map(quoteIdent);
    // Rows at each key's newest event time (a join on a small aggregate beats a window or
    // max_by over wide rows); ties on event time are settled by the store (newest created_ts).
    const on = keyCols.map((k) => `f.${k} = m.${k}`).join(' AND ');
    const latest = await sandbox.session.all(
      `SELECT f.* FROM read_parquet(${quoteLiteral(file)}) AS f
       JOIN (SELECT ${keyCols.join(', ')}, max(event_ts) AS newest FROM read_parquet(${quoteLiteral(file)}) GROUP BY ALL) AS m
         ON ${on} AND f.event_ts = m.newest`,
    );
    const featureNames = record.definition.features.map((f) => f.name);
    return this.online.putLatest(record.name, record.version, latest.map((r) => toOnlineRow(r, keys, featureNames)));
  }

  /**
   * Brings online values up to date after new rows of `dataset` arrived for some keys (a push or
   * the stream): for every materialised version of the views over the dataset (only views marked
   * `stream` when `streamingOnly`), the view's own SQL runs over those keys' recent history (the
   * view's lookback before `since`), and the newest row per key goes to the online store. The
   * values equal what a full materialisation gives; the offline store is left to the next one.
   */
  async refreshOnline(dataset: string, keyValues: readonly string[], since: Date, options: { streamingOnly?: boolean } = {}): Promise<OnlineRefresh[]> {
    if (keyValues.length === 0) return [];
    const schema = await this.datasets.schema(dataset).catch(() => null);
    if (!schema) return [];
    const targets: Array<{ record: ViewVersionRecord; keys: readonly string[] }> = [];
    for (const summary of await this.features.list()) {
      for (const record of await this.registry.listViewVersions(summary.name)) {
        const view = record.definition;
        if (view.source !== dataset || (options.streamingOnly && !view.stream)) continue;
        if (!(await this.registry.getMaterialization(record.name, record.version))) continue;
        targets.push({ record, keys: (await this.registry.getEntity(view.entity))!.joinKeys });
      }
    }
    if (targets.length === 0) return [];
    // One read of the lake for every view: the keys' rows over the longest lookback, kept in
    // memory; each view's SQL then runs on its own lookback of that.
    const lookbacks = targets.map((t) => (t.record.definition.lookback ? parseDuration(t.record.definition.lookback, 'lookback').seconds * 1000 : null));
    const longest = lookbacks.some((l) => l === null) ? null : Math.max(...(lookbacks as number[]));
    const between = { from: longest === null ? undefined : new Date(since.getTime() - longest), to: new Date('2200-01-01T00:00:00Z') };
    const all = await this.datasets.allRowsSql(schema, between);
    if (!all) return [];
    // Only the pushed keys' rows (the dataset's first key names the instrument).
    const filter = `${quoteIdent(schema.keys[0])} IN (${keyValues.map(quoteLiteral).join(', ')})`;
    const out: OnlineRefresh[] = [];
    const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(dataset)], writable: [] }, this.engine);
    try {
      // Every stored version of the keys' rows once; the current rows derived from it in memory.
      await sandbox.session.run(`CREATE TEMP TABLE _recent_versions AS SELECT * FROM (${all}) WHERE ${filter}`);
      const partition = [...schema.keys, schema.timestampColumn].map(quoteIdent).join(', ');
      await sandbox.session.run(`CREATE TEMP TABLE _recent AS SELECT * FROM _recent_versions QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${quoteIdent(INGESTED_AT)} DESC) = 1`);
      const range: TimeRange = { lo: since, loInclusive: true, hi: between.to, hiInclusive: true };
      for (const [i, { record, keys }] of targets.entries()) {
        // Each view sees only its own lookback of history, as its materialisation does.
        const lookback = lookbacks[i];
        const window = lookback === null ? '' : ` WHERE ${quoteIdent(schema.timestampColumn)} >= TIMESTAMPTZ ${quoteLiteral(new Date(since.getTime() - lookback).toISOString())}`;
        await sandbox.defineSource(schema, `SELECT * FROM _recent${window}`, `SELECT * FROM _recent_versions${window}`);
        const view = record.definition;
        const keyCols = keys.map(quoteIdent);
        const latest = await sandbox.session.all(
          `SELECT * FROM (${materializationSelect(view, keys, schema.timestampColumn, range)})
           QUALIFY row_number() OVER (PARTITION BY ${keyCols.join(', ')} ORDER BY event_ts DESC, created_ts DESC) = 1`,
        );
        const rows = latest.map((r) => toOnlineRow(r, keys, view.features.map((f) => f.name)));
        out.push({ view: record.name, version: record.version, keys: rows.length, written: await this.online.putLatest(record.name, record.version, rows) });
      }
    } finally {
      sandbox.close();
    }
    return out;
  }

  /** Offline files of a view version (for readers such as training sets). */
  async offlineFiles(view: string, version: number): Promise<string[]> {
    const dir = this.versionDir(view, version);
    if (!existsSync(dir)) return [];
    return (await readdir(dir)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).map((f) => join(dir, f));
  }
}

const INSTANCE = `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parts of [start, end] not covered by the materialised state (which is one contiguous range). */
export function missingParts(range: { start: Date; end: Date }, state: MaterializationState | undefined): TimeRange[] {
  if (!state) return [{ lo: range.start, loInclusive: true, hi: range.end, hiInclusive: true }];
  const doneStart = new Date(state.start);
  const doneEnd = new Date(state.end);
  const parts: TimeRange[] = [];
  if (range.start < doneStart) parts.push({ lo: range.start, loInclusive: true, hi: doneStart, hiInclusive: false });
  if (range.end > doneEnd) parts.push({ lo: doneEnd, loInclusive: false, hi: range.end, hiInclusive: true });
  return parts;
}

function compact(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function toOnlineRow(r: SqlRow, keys: readonly string[], features: readonly string[]): OnlineRow {
  return {
    key: keys.map((k) => String(r[k])),
    eventTs: String(r.event_ts),
    createdTs: String(r.created_ts),
    values: Object.fromEntries(features.map((f) => [f, (r[f] ?? null) as number | boolean | string | null])),
  };
}
