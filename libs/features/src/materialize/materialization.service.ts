import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DatasetService } from '../datasets/dataset.service';
import { INGESTED_AT, type DatasetSchema } from '../datasets/dataset.schema';
import type { SqlRow } from '../duckdb/duckdb.client';
import type { FeatureViewDefinition } from '../definitions/feature-definition';
import type { FeatureViewService } from '../definitions/feature-view.service';
import { ErrorCode, FeatureStoreError, InvalidArgumentError, NotFoundError } from '../errors/feature-store.error';
import type { LakeRepository } from '../lake/lake.repository';
import { silentProgress, type ProgressSink } from '../ingest/progress';
import type { OnlineRow, OnlineStoreDriver } from '../online/online-store.driver';
import type { DefinitionRepository, ViewVersionRecord } from '../registry/definition.repository';
import type { JobRecord, JobRepository } from '../registry/job.repository';
import type { LeaseOwner, MaterializationRepository, MaterializationState } from '../registry/materialization.repository';
import { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import { assertIdentifier, quoteIdent, quoteLiteral } from '../sql/identifier';
import type { Clock } from '../util/clock';
import { PhaseTimer } from '../util/phase-timer';
import { parseDuration, utcDay } from '../util/time';
import { latestRowSelect, materializationSelect, oneStepPerKeySql, type TimeRange } from './materialization.sql';
import { RecentRowsCache } from './recent-rows.cache';

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
  /** Milliseconds of this view's SQL and online write (the shared read of recent rows aside). */
  readonly ms: number;
}

export interface MaterializeResult {
  readonly view: string;
  readonly version: number;
  /** Offline rows written by this run (0 when the range was already materialised). */
  readonly rows: number;
  readonly onlineRows: number;
  readonly ranges: ReadonlyArray<{ readonly start: string; readonly end: string; readonly rows: number; readonly file: string | null }>;
  /**
   * Offline rows written because source rows arrived after the range was materialised: late bars
   * and corrections (new rows beside the old ones, with a later created_ts; see `revise`).
   */
  readonly revisedRows: number;
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
    private readonly definitions: Pick<DefinitionRepository, 'getEntity' | 'listViewVersions'>,
    private readonly registry: MaterializationRepository,
    private readonly jobs: JobRepository,
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

  /**
   * Resolves the version, the parts of the range still to compute, and the lake files that may
   * revise the part already computed (batches recorded since, with rows inside it).
   */
  async plan(request: MaterializeRequest): Promise<MaterializePlan> {
    const record = await this.resolve(request);
    // Read before the lake: a batch recorded after this point is looked at again by the next run.
    const sourceSeq = await this.datasets.lastBatchSeq(record.definition.source);
    const dataset = await this.datasets.timeBounds(record.definition.source);
    const start = request.start ?? (dataset.minTs ? new Date(dataset.minTs) : undefined);
    const end = request.end ?? (dataset.maxTs ? new Date(dataset.maxTs) : undefined);
    if (!start || !end) return { record, parts: [], bounds: null, revision: [], sourceSeq };
    if (start > end) throw new InvalidArgumentError('start must not be after end', { field: 'start' });
    const state = await this.registry.getMaterialization(record.name, record.version);
    const revision = state ? await this.revisionFiles(record.definition.source, state, lookbackMs(record.definition)) : [];
    return { record, parts: missingParts({ start, end }, state), bounds: { start, end }, revision, sourceSeq };
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
        await this.removeUnrecordedParts(resolved.name, resolved.version);
        return this.materializeParts(await this.plan({ ...request, version: resolved.version }), progress, started);
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
    const { record, parts, bounds, revision } = await this.plan(request);
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
    await this.jobs.putJob(job);
    if (nothingToDo) return { job, done: true };
    void this.run({ view: record.name, version: record.version, start: bounds?.start, end: bounds?.end }).then(
      (result) => this.jobs.putJob({ ...job, status: 'succeeded', rows: result.rows, updatedAt: this.clock.now().toISOString() }),
      (error: unknown) => this.jobs.putJob({ ...job, status: 'failed', error: (error as Error).message, updatedAt: this.clock.now().toISOString() }),
    );
    return { job, done: false };
  }

  async getJob(jobId: string): Promise<JobRecord> {
    const job = await this.jobs.getJob(jobId);
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

  private async materializeParts({ record, parts, bounds, revision, sourceSeq }: MaterializePlan, progress: ProgressSink, started: number): Promise<MaterializeResult> {
    const view = record.definition;
    const ranges: Array<{ start: string; end: string; rows: number; file: string | null }> = [];
    const stopwatch = new PhaseTimer();
    let onlineRows = 0;
    let revisedRows = 0;
    let keyCount = 0;
    const before = await this.registry.getMaterialization(record.name, record.version);
    if (bounds && (parts.length > 0 || revision.length > 0)) {
      const schema = await this.datasets.schema(view.source);
      const entity = (await this.definitions.getEntity(view.entity))!;
      const dir = this.versionDir(record.name, record.version);
      await mkdir(dir, { recursive: true });
      const lookback = lookbackMs(view);
      if (revision.length > 0 && before) {
        const revised = await this.revise(record, schema, entity.joinKeys, dir, before, revision, lookback, sourceSeq);
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
          const between = { from, to: part.hi };
          await sandbox.defineSource(schema, await this.datasets.currentRowsSql(schema, between), await this.datasets.allRowsSql(schema, between));
          stopwatch.mark('sandbox');
          const select = materializationSelect(view, entity.joinKeys, schema.timestampColumn, part, await oneStepPerKey(sandbox, entity.joinKeys));
          const written = await this.writePart(sandbox, record, entity.joinKeys, dir, part, select, progress);
          stopwatch.mark('compute+write+online');
          onlineRows += written.onlineRows;
          keyCount = Math.max(keyCount, written.keys);
          ranges.push({ start: part.lo.toISOString(), end: part.hi.toISOString(), rows: written.rows, file: written.file });
        } finally {
          sandbox.close();
        }
      }
    }
    // The state moves on whenever something was computed or later batches were looked at.
    if (bounds && (ranges.length > 0 || before?.sourceSeq !== sourceSeq)) {
      // `before` is still the stored state: the lease keeps other runs of this version out.
      const state = before;
      const rows = ranges.reduce((n, r) => n + r.rows, 0);
      await this.registry.setMaterialization(record.name, record.version, {
        start: new Date(Math.min(bounds.start.getTime(), state ? Date.parse(state.start) : Infinity)).toISOString(),
        end: new Date(Math.max(bounds.end.getTime(), state ? Date.parse(state.end) : -Infinity)).toISOString(),
        rows: (state?.rows ?? 0) + rows,
        updatedAt: this.clock.now().toISOString(),
        sourceSeq,
        revisedRows: (state?.revisedRows ?? 0) + revisedRows,
        keys: Math.max(state?.keys ?? 0, keyCount),
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
      revisedRows,
      alreadyDone: parts.length === 0 && revision.length === 0,
      state: (await this.registry.getMaterialization(record.name, record.version)) ?? null,
      elapsedMs: Date.now() - started,
      phases: stopwatch.phases,
    };
  }

  // Runs one SELECT into a new offline file of the version (renamed into place once complete)
  // and pushes its newest row per key online.
  private async writePart(
    sandbox: FeatureSqlSandbox,
    record: ViewVersionRecord,
    keys: readonly string[],
    dir: string,
    part: TimeRange,
    select: string,
    progress: ProgressSink,
    prefix = '',
  ): Promise<{ rows: number; file: string | null; onlineRows: number; keys: number }> {
    const runId = randomBytes(6).toString('hex');
    const tmp = join(dir, `.tmp-${runId}.parquet`);
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
    if (rows === 0) {
      await rm(tmp, { force: true });
      return { rows, file: null, onlineRows: 0, keys: 0 };
    }
    const file = join(dir, `${prefix}${compact(part.lo)}_${compact(part.hi)}_${runId}.parquet`);
    const online = await this.pushOnline(sandbox, record, keys, tmp);
    await rename(tmp, file);
    return { rows, file, onlineRows: online.written, keys: online.keys };
  }

  // Lake files of the batches recorded since the state was written that hold days inside the
  // materialised range: rows that arrived late or correct a bar already computed.
  private async revisionFiles(source: string, state: MaterializationState, lookback: number | null): Promise<string[]> {
    const { files } = await this.datasets.batchFilesAfter(source, state.sourceSeq, state.updatedAt);
    // Bars up to a lookback before the range change rows inside it (no lookback: all history does).
    const first = lookback === null ? '0000-00-00' : utcDay(new Date(Date.parse(state.start) - lookback));
    const last = utcDay(new Date(state.end));
    return files.filter((f) => {
      const day = /date=(\d{4}-\d{2}-\d{2})/.exec(f)?.[1];
      return day !== undefined && day >= first && day <= last && existsSync(f);
    });
  }

  /**
   * Revises the materialised range after later batches brought rows inside it (a late bar, a
   * corrected bar). For the instruments those rows belong to, the view is recomputed from the
   * earliest of them (with the lookback before it) to the end of the range, and every row whose
   * values differ from the stored ones, or that is new, is written to a new offline file. Old
   * rows stay: the new ones carry a later created_ts (when their newest source row became known),
   * so event-mode retrieval takes the corrected values and knowledge-mode retrieval before the
   * correction still sees what was known then. Floating-point features count as changed beyond
   * 1e-9, relative above 1 in magnitude (a recomputation from another starting point may round
   * differently). Like the online refresh, it takes a view's rows of one instrument to depend only
   * on that instrument's bars.
   */
  private async revise(
    record: ViewVersionRecord,
    schema: DatasetSchema,
    keys: readonly string[],
    dir: string,
    state: MaterializationState,
    files: readonly string[],
    lookback: number | null,
    sourceSeq: number,
  ): Promise<{ range: { start: string; end: string; rows: number; file: string | null }; onlineRows: number } | null> {
    const view = record.definition;
    const start = new Date(state.start);
    const hi = new Date(state.end);
    const ts = quoteIdent(schema.timestampColumn);
    const instrument = quoteIdent(schema.keys[0]);
    // Bars from a lookback before the range on change rows inside it (a backfill of earlier history).
    const lo = lookback === null ? null : new Date(start.getTime() - lookback);
    const within = `${lo ? `${ts} >= TIMESTAMPTZ ${quoteLiteral(lo.toISOString())} AND ` : ''}${ts} <= TIMESTAMPTZ ${quoteLiteral(hi.toISOString())}`;
    const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(view.source)], writable: [dir] }, this.engine);
    try {
      const s = sandbox.session;
      const touched = await s.all<{ k: string; since: string }>(
        `SELECT CAST(${instrument} AS VARCHAR) AS k, min(${ts}) AS since FROM read_parquet([${files.map(quoteLiteral).join(', ')}]) WHERE ${within} GROUP BY ALL ORDER BY k`,
      );
      if (touched.length === 0) return null;
      // Rows before the range are not revised here (a run computes them as a part of their own).
      const since = new Date(Math.max(start.getTime(), Math.min(...touched.map((t) => Date.parse(String(t.since))))));
      const filter = `${instrument} IN (${touched.map((t) => quoteLiteral(t.k)).join(', ')})`;
      const between = { from: lookback === null ? undefined : new Date(since.getTime() - lookback), to: hi };
      const current = await this.datasets.currentRowsSql(schema, between);
      const all = await this.datasets.allRowsSql(schema, between);
      await sandbox.defineSource(schema, current && `SELECT * FROM (${current}) WHERE ${filter}`, all && `SELECT * FROM (${all}) WHERE ${filter}`);
      const part: TimeRange = { lo: since, loInclusive: true, hi, hiInclusive: true };
      const computed = materializationSelect(view, keys, schema.timestampColumn, part, await oneStepPerKey(sandbox, keys));
      const stored = await this.offlineFiles(record.name, record.version);
      const keyCols = keys.map(quoteIdent);
      const on = [...keyCols.map((k) => `n.${k} = o.${k}`), 'n.event_ts = o.event_ts'].join(' AND ');
      const differs = view.features.map((f) => {
        const c = quoteIdent(f.name);
        return ['DOUBLE', 'FLOAT', 'REAL'].includes(f.type.toUpperCase())
          ? `(n.${c} IS DISTINCT FROM o.${c} AND (n.${c} IS NULL OR o.${c} IS NULL OR abs(n.${c} - o.${c}) > 1e-9 * greatest(1, abs(o.${c}))))`
          : `n.${c} IS DISTINCT FROM o.${c}`;
      });
      // The stored row each (key, event time) is answered with now: the one created last.
      const latestStored = stored.length
        ? `(SELECT * EXCLUDE (_offline_file) FROM read_parquet([${stored.map(quoteLiteral).join(', ')}], filename = '_offline_file') WHERE ${keyCols[0]} IN (${touched.map((t) => quoteLiteral(t.k)).join(', ')})
             AND event_ts >= TIMESTAMPTZ ${quoteLiteral(since.toISOString())} AND event_ts <= TIMESTAMPTZ ${quoteLiteral(hi.toISOString())}
           QUALIFY row_number() OVER (PARTITION BY ${keyCols.join(', ')}, event_ts ORDER BY created_ts DESC, _offline_file DESC) = 1)`
        : `(SELECT * FROM (${computed}) WHERE false)`;
      const select = `SELECT n.* FROM (${computed}) AS n LEFT JOIN ${latestStored} AS o ON ${on}
        WHERE o.event_ts IS NULL OR ${differs.length ? differs.join(' OR ') : 'false'}`;
      // Named apart (REVISION_PREFIX): readers know from the files alone, even after a crash
      // before the state is written, that a (key, event time) may now have several rows; the
      // source seq in the name orders revisions, for rows whose (event_ts, created_ts) tie.
      const written = await this.writePart(sandbox, record, keys, dir, part, select, silentProgress, `${REVISION_PREFIX}${String(sourceSeq).padStart(15, '0')}_`);
      return { range: { start: since.toISOString(), end: hi.toISOString(), rows: written.rows, file: written.file }, onlineRows: written.onlineRows };
    } finally {
      sandbox.close();
    }
  }

  // The latest row per key of what was just computed; the store keeps whichever is newer.
  private async pushOnline(sandbox: FeatureSqlSandbox, record: ViewVersionRecord, keys: readonly string[], file: string): Promise<{ written: number; keys: number }> {
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
    const written = await this.online.putLatest(record.name, record.version, latest.map((r) => toOnlineRow(r, keys, featureNames)));
    return { written, keys: latest.length };
  }

  /**
   * Brings online values up to date after new rows of `dataset` arrived for some keys (a push or
   * the stream): for every materialised version of the views over the dataset (only views marked
   * `stream` when `streamingOnly`), the view's own SQL runs over those keys' recent history (the
   * view's lookback before `since`), and the newest row per key goes to the online store. The
   * values equal what a full materialisation gives; the offline store is left to the next one.
   * `only` limits the refresh to those view versions, done in that order (each is written online
   * as soon as it is computed).
   */
  async refreshOnline(
    dataset: string,
    keyValues: readonly string[],
    since: Date,
    options: { streamingOnly?: boolean; cache?: RecentRowsCache; only?: ReadonlyArray<{ readonly view: string; readonly version: number }> } = {},
  ): Promise<OnlineRefresh[]> {
    if (keyValues.length === 0) return [];
    const schema = await this.datasets.schema(dataset).catch(() => null);
    if (!schema) return [];
    const targets: Array<{ record: ViewVersionRecord; keys: readonly string[] }> = [];
    const order = (name: string, version: number) => options.only?.findIndex((o) => o.view === name && o.version === version) ?? 0;
    for (const record of await this.onlineTargets(dataset, options.streamingOnly ?? false)) {
      if (order(record.name, record.version) < 0) continue;
      targets.push({ record, keys: (await this.definitions.getEntity(record.definition.entity))!.joinKeys });
    }
    targets.sort((a, b) => order(a.record.name, a.record.version) - order(b.record.name, b.record.version));
    if (targets.length === 0) return [];
    // One read for every view: the keys' rows over the longest lookback, from the lake or from
    // the caller's cache of recent rows, kept in memory; each view's SQL then runs on its own
    // lookback of that.
    const lookbacks = targets.map((t) => lookbackMs(t.record.definition));
    const longest = lookbacks.some((l) => l === null) ? null : Math.max(...(lookbacks as number[]));
    const between = { from: longest === null ? undefined : new Date(since.getTime() - longest), to: new Date('2200-01-01T00:00:00Z') };
    // Only the pushed keys' rows (the dataset's first key names the instrument).
    const filter = `${quoteIdent(schema.keys[0])} IN (${keyValues.map(quoteLiteral).join(', ')})`;
    const out: OnlineRefresh[] = [];
    let sandbox: FeatureSqlSandbox;
    let versions: string;
    if (options.cache) {
      // The keys' recent rows are held by the caller's cache (kept up to date with the lake).
      sandbox = await options.cache.prepare(keyValues, between.from ?? null);
      versions = between.from ? `(SELECT * FROM _cache WHERE ${quoteIdent(schema.timestampColumn)} >= TIMESTAMPTZ ${quoteLiteral(between.from.toISOString())})` : '_cache';
    } else {
      const all = await this.datasets.allRowsSql(schema, between);
      if (!all) return [];
      sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(dataset)], writable: [] }, this.engine);
      versions = `(${all})`;
    }
    try {
      // The keys' current rows (the latest version of each), in memory. They also stand for the
      // stored versions: a refresh reads those only for the latest `ingested_at` up to a time per
      // entity key, and a current row holds the latest of its (dataset keys, ts). (That holds while
      // the entity's join keys are dataset key columns, as in every catalog view; a join key that
      // is a plain column changed by a correction would make the two differ.)
      const partition = [...schema.keys, schema.timestampColumn].map(quoteIdent).join(', ');
      await sandbox.session.run(
        `CREATE OR REPLACE TEMP TABLE _recent AS SELECT * FROM ${versions} WHERE ${filter} QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${quoteIdent(INGESTED_AT)} DESC) = 1`,
      );
      const range: TimeRange = { lo: since, loInclusive: true, hi: between.to, hiInclusive: true };
      for (const [i, { record, keys }] of targets.entries()) {
        // Each view sees only its own lookback of history, as its materialisation does.
        const viewStarted = Date.now();
        const lookback = lookbacks[i];
        const window = lookback === null ? '' : ` WHERE ${quoteIdent(schema.timestampColumn)} >= TIMESTAMPTZ ${quoteLiteral(new Date(since.getTime() - lookback).toISOString())}`;
        await sandbox.defineSource(schema, `SELECT * FROM _recent${window}`);
        const view = record.definition;
        const latest = await sandbox.session.all(latestRowSelect(view, keys, schema.timestampColumn, range));
        const rows = latest.map((r) => toOnlineRow(r, keys, view.features.map((f) => f.name)));
        const written = await this.online.putLatest(record.name, record.version, rows);
        out.push({ view: record.name, version: record.version, keys: rows.length, written, ms: Date.now() - viewStarted });
      }
    } finally {
      if (!options.cache) sandbox.close();
    }
    return out;
  }

  /** The materialised view versions over a dataset whose online values a refresh keeps current (only `stream` ones when `streamingOnly`). */
  async onlineTargets(dataset: string, streamingOnly: boolean): Promise<ViewVersionRecord[]> {
    const out: ViewVersionRecord[] = [];
    for (const summary of await this.features.list()) {
      for (const record of await this.definitions.listViewVersions(summary.name)) {
        const view = record.definition;
        if (view.source !== dataset || (streamingOnly && !view.stream)) continue;
        if (await this.registry.getMaterialization(record.name, record.version)) out.push(record);
      }
    }
    return out;
  }

  /** A cache of a dataset's recent rows for repeated `refreshOnline` calls (the caller closes it). */
  async recentRowsCache(dataset: string, engine: { threads?: number } = {}): Promise<RecentRowsCache> {
    return new RecentRowsCache(this.lake, this.datasets, await this.datasets.schema(dataset), { ...this.engine, ...engine });
  }

  /**
   * Removes the part files a run wrote before it failed or was killed (under the lease, before
   * the next run plans): the state only grows once every part of a run is in place, so a part
   * file whose range reaches outside the recorded state (or any part file with no state) was
   * never recorded, and its range is computed again. Left there, readers would see those rows
   * twice, and the copy computed again may differ (a correction came in between). Ranges are
   * compared to the second, as file names hold them: a file named within the state is kept.
   */
  private async removeUnrecordedParts(view: string, version: number): Promise<void> {
    const state = await this.registry.getMaterialization(view, version);
    const recorded = state && { lo: Math.floor(Date.parse(state.start) / 1000), hi: Math.floor(Date.parse(state.end) / 1000) };
    for (const file of await this.offlineFiles(view, version)) {
      const range = partRange(basename(file));
      if (range && (!recorded || range.lo < recorded.lo || range.hi > recorded.hi)) await rm(file, { force: true });
    }
  }

  /** Offline files of a view version (for readers such as training sets). */
  async offlineFiles(view: string, version: number): Promise<string[]> {
    const dir = this.versionDir(view, version);
    if (!existsSync(dir)) return [];
    return (await readdir(dir)).filter((f) => f.endsWith('.parquet') && !f.startsWith('.')).map((f) => join(dir, f));
  }
}

/** A view's lookback in milliseconds (null: the whole history). */
export function lookbackMs(view: FeatureViewDefinition): number | null {
  return view.lookback ? parseDuration(view.lookback, 'lookback').seconds * 1000 : null;
}

/** What a run will do: the parts of the range to compute and the lake files that may revise the rest. */
export interface MaterializePlan {
  readonly record: ViewVersionRecord;
  readonly parts: TimeRange[];
  readonly bounds: { start: Date; end: Date } | null;
  /** Lake files of batches recorded since the last run with days inside the materialised range. */
  readonly revision: string[];
  /** The source's highest batch seq when the plan was made (stored as the state's watermark). */
  readonly sourceSeq: number;
}

// True when every key has one ingested_at in `_source_versions` (see oneStepPerKeySql).
async function oneStepPerKey(sandbox: FeatureSqlSandbox, keys: readonly string[]): Promise<boolean> {
  return (await sandbox.session.one<{ one: boolean }>(oneStepPerKeySql(keys)))?.one === true;
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

/** Offline files written by a revision start with this: a (key, event time) may have several rows. */
export const REVISION_PREFIX = 'rev-';

function compact(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** A part file's range in epoch seconds, from its name (`<lo>_<hi>_<run>.parquet`, see writePart); null for other files (revisions). */
export function partRange(name: string): { lo: number; hi: number } | null {
  const m = /^(\d{8}T\d{6}Z)_(\d{8}T\d{6}Z)_[0-9a-f]+\.parquet$/.exec(name);
  if (!m) return null;
  const seconds = (c: string) => Date.parse(`${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}Z`) / 1000;
  const lo = seconds(m[1]);
  const hi = seconds(m[2]);
  return Number.isFinite(lo) && Number.isFinite(hi) ? { lo, hi } : null;
}

function toOnlineRow(r: SqlRow, keys: readonly string[], features: readonly string[]): OnlineRow {
  return {
    key: keys.map((k) => String(r[k])),
    eventTs: String(r.event_ts),
    createdTs: String(r.created_ts),
    values: Object.fromEntries(features.map((f) => [f, (r[f] ?? null) as number | boolean | string | null])),
  };
}
