import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { barSchema, inferSchema, type DatasetSchema } from '../datasets/dataset.schema';
import { defaultGranularity, type PartitionGranularity } from '../lake/partitioning';
import type { DuckDbClient, DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import type { LakeRepository } from '../lake/lake.repository';
import type { DatasetRepository } from '../registry/dataset.repository';
import { assertIdentifier } from '../sql/identifier';
import { fileLiteral, ident, joinSql, sql, type Sql } from '../sql/sql';
import type { Clock } from '../util/clock';
import { canonicalJson, sha256 } from '../util/hash';
import { tradingCalendar } from '../calendar/calendars';
import { describeTiming, timingForDataset, type BarTiming } from './bar-timing';
import { resolveMapping, type SourceColumn } from './column-mapping';
import { directCopySql, distinctSlotsSql, keepSql, lakePartitionSql, partitionedCopySql, REJECTED_ROW, writtenFiles, writtenRowsSql } from './batch-write.sql';
import { describeSource, readError, readPlans, runWithProgress, type ReadPlan } from './read-plan';
import type { IngestSource } from './ingest-source';
import { silentProgress, type ProgressSink } from './progress';
import { stagingSelect } from './staging.sql';
import { PhaseTimer } from '../util/phase-timer';

export interface IngestRequest {
  readonly dataset: string;
  readonly source: IngestSource;
  readonly timing: BarTiming;
  /** Values for columns the source lacks, e.g. `{symbol: 'BTC-USD'}` for a one-symbol vendor file. */
  readonly constants?: Readonly<Record<string, string | undefined>>;
  /** Explicit column mapping {datasetColumn: sourceColumn}. */
  readonly mapping?: Readonly<Record<string, string>>;
  /** What to do when the dataset is unknown: create the standard bar layout, infer it, or refuse. */
  readonly createAs: 'bars' | 'infer' | 'none';
  /** Only rows with a timestamp strictly after this are kept (incremental top-ups). */
  readonly keepAfter?: Date;
  /** Only rows with a timestamp at or before this are kept: a bar that has not closed yet is not final. */
  readonly keepUntil?: Date;
  /** The partition granularity of a dataset this batch creates (default: from its bars' interval). */
  readonly partition?: PartitionGranularity;
  /** Ingest even when the same content was ingested before. */
  readonly force?: boolean;
  /** How many rejected rows `errors` lists (default 100); the stream asks for all of them, to dead-letter each. */
  readonly maxReportedErrors?: number;
}

export interface RowError {
  readonly row: number;
  readonly message: string;
}

export interface IngestResult {
  readonly dataset: string;
  readonly batchId: string | null;
  /** True when the same content had been ingested already: nothing was written. */
  readonly skipped: boolean;
  readonly accepted: number;
  readonly rejected: number;
  /** Rows dropped because a later row of the same batch had the same keys and timestamp. */
  readonly supersededInBatch: number;
  readonly errors: readonly RowError[];
  readonly quarantineFile: string | null;
  readonly files: readonly string[];
  readonly ignoredColumns: readonly string[];
  readonly minTs: string | null;
  readonly maxTs: string | null;
  /** Bars missing inside each key's range, for interval-timed sources (largest first, at most 20). */
  readonly gaps: ReadonlyArray<{ readonly key: string; readonly missing: number }>;
  readonly elapsedMs: number;
  /** Milliseconds per phase (read, check, write, commit), for benchmarks and tuning. */
  readonly phases: Readonly<Record<string, number>>;
}

const MAX_REPORTED_ERRORS = 100;

/** What one ingest knows about its batch once it has read the source's layout. */
interface Batch {
  readonly request: IngestRequest;
  readonly batchId: string;
  readonly batchTime: Date;
  readonly identity: string;
  readonly isNewDataset: boolean;
  readonly ignoredColumns: readonly string[];
  readonly started: number;
  readonly timer: PhaseTimer;
}

/**
 * Turns one source (file, HTTP response, generated query) into one lake batch: read, type,
 * validate every row, quarantine the bad ones, resolve duplicates, write Parquet by date,
 * commit atomically, record. A batch with the same identity as an earlier one writes nothing.
 */
export class BatchIngestor {
  constructor(
    private readonly db: DuckDbClient,
    private readonly lake: LakeRepository,
    private readonly registry: DatasetRepository,
    private readonly clock: Clock,
  ) {}

  /** Ingests one source as one batch; writes nothing when the same batch was ingested before (unless `force`). */
  async ingest(request: IngestRequest, progress: ProgressSink = silentProgress): Promise<IngestResult> {
    const started = Date.now();
    const timer = new PhaseTimer();
    assertIdentifier(request.dataset, 'dataset');
    await this.lake.recover(this.registry);
    const existing = await this.registry.getDataset(request.dataset);
    const timing = timingForDataset(request.timing, request.dataset, existing?.calendar);
    const identity = sha256(
      request.dataset,
      request.source.identity,
      canonicalJson({
        timing: describeTiming(timing),
        constants: request.constants ?? {},
        mapping: request.mapping ?? {},
        keepAfter: request.keepAfter?.toISOString() ?? null,
        keepUntil: request.keepUntil?.toISOString() ?? null,
      }),
    );
    if (!request.force) {
      const prior = await this.registry.findBatch(request.dataset, identity);
      if (prior) return { ...emptyResult(request.dataset, started), batchId: prior.batchId, skipped: true, files: prior.files };
    }
    return this.db.withSession(async (session) => {
      const described = await describeSource(session, request.source);
      timer.mark('describe');
      const schema = existing ?? this.newSchema(request, timing, described);
      const mapping = resolveMapping(schema, described, request.mapping ?? {}, request.constants ?? {});
      const batchTime = await this.registry.nextIngestedAt(request.dataset, this.clock.now());
      const batch: Batch = {
        request: { ...request, timing },
        batchId: `${batchTime.toISOString().replace(/[-:.]/g, '')}-${identity.slice(0, 12)}`,
        batchTime,
        identity,
        isNewDataset: existing === undefined,
        ignoredColumns: mapping.ignored,
        started,
        timer,
      };
      let plans = readPlans(request.source, described, mapping);
      const select = (plan: ReadPlan): Sql =>
        stagingSelect(schema, resolveMapping(schema, plan.columns, request.mapping ?? {}, request.constants ?? {}), timing, batchTime, plan.reader, plan.columns);
      const stagedName = `staged_${randomBytes(6).toString('hex')}`;
      const staged = ident(stagedName);
      try {
        // A new dataset of close-timed bars is sized from its rows, so it cannot be written before they are read.
        if (!(batch.isNewDataset && timing.kind === 'close')) {
          const direct = await this.writeDirect(session, schema, batch, select(plans[0]), progress);
          if (direct.result) return direct.result;
          if (direct.readFailed && !plans[0].final) plans = plans.slice(1);
          timer.mark('direct (discarded)');
        }
        for (const plan of plans) {
          try {
            await runWithProgress(session, sql`CREATE OR REPLACE TEMP TABLE ${staged} AS SELECT * EXCLUDE (_bad) FROM (${select(plan)})`, progress, `ingest ${request.dataset}`);
            break;
          } catch (error) {
            if (plan.final) throw readError(request.source, error);
          }
        }
        timer.mark('read+validate');
        return (await this.writeBatch(session, { staged: stagedName }, schema, batch))!;
      } finally {
        await session.run(sql`DROP TABLE IF EXISTS ${staged}`);
        progress.done();
      }
    });
  }

  /**
   * The one-pass way for a batch without rejected or duplicate rows (the common case): the
   * validating SELECT straight into the staging folder's partitions, its stats read back from
   * the written files. A batch with either is discarded here and goes the general way.
   */
  private async writeDirect(session: DuckDbSession, schema: DatasetSchema, batch: Batch, select: Sql, progress: ProgressSink): Promise<{ result?: IngestResult; readFailed?: boolean }> {
    const dir = await this.lake.createStaging(batch.batchId);
    try {
      // The partition count is not known before the read: the cap the general way may also set.
      // (preserve_insertion_order stays as it is: it is global to the engine, and the general
      // way of a concurrent ingest numbers its rows by it.)
      await session.run(sql`SET partitioned_write_max_open_files = 100000`);
      await runWithProgress(session, directCopySql(schema, select, batch.request, dir), progress, `ingest ${batch.request.dataset}`);
    } catch (error) {
      await this.lake.discardStaging(dir);
      return { readFailed: !String((error as Error).message).includes(REJECTED_ROW) };
    }
    batch.timer.mark('read+validate+write');
    const files = await writtenFiles(dir).catch(() => []);
    if (files.length === 0) {
      await this.lake.discardStaging(dir);
      return {};
    }
    // From here writeBatch owns the folder: it commits or discards it.
    return { result: (await this.writeBatch(session, { written: dir, files }, schema, batch)) ?? undefined };
  }

  // A new dataset of bars that carry no interval (their time is the close) is sized from its
  // first batch: a mean spacing of a day or more is daily data, partitioned by month.
  private async sizedFromData(session: DuckDbSession, schema: DatasetSchema, groups: Sql, request: IngestRequest, isNewDataset: boolean): Promise<DatasetSchema> {
    if (!isNewDataset || request.timing.kind !== 'close' || request.partition) return schema;
    const row = await session.one<{ spacing: number | null }>(sql`SELECT avg((epoch(hi) - epoch(lo)) / (d - 1)) AS spacing FROM ${groups} WHERE d > 1`);
    const spacing = row?.spacing === null || row?.spacing === undefined ? null : Number(row.spacing);
    return { ...schema, partition: defaultGranularity(spacing === null ? null : spacing >= 72_000 ? 86_400 : spacing) };
  }

  private newSchema(request: IngestRequest, timing: BarTiming, described: readonly SourceColumn[]): DatasetSchema {
    switch (request.createAs) {
      case 'bars':
        // Bars first ingested by a calendar's sessions belong to that calendar from then on.
        return timing.kind === 'session' && timing.calendar
          ? { ...barSchema(request.dataset), calendar: timing.calendar, partition: request.partition ?? 'month' }
          : { ...barSchema(request.dataset), partition: request.partition ?? defaultGranularity(barSeconds(timing)) };
      case 'infer':
        return { ...inferSchema(request.dataset, described), partition: request.partition ?? defaultGranularity(barSeconds(timing)) };
      case 'none':
        throw new NotFoundError(`dataset ${request.dataset} is not declared`, { field: 'dataset' }, ErrorCode.UnknownDataset);
    }
  }

  /**
   * Stats, gaps, errors and quarantine of a batch, then its Parquet files and the commit. The rows
   * are a staged table (the general way), or the files the direct write left in a staging folder:
   * then a batch with duplicates (or no row) is discarded and null returned, for the general way.
   */
  private async writeBatch(session: DuckDbSession, input: { staged: string } | { written: string; files: readonly string[] }, declared: DatasetSchema, batch: Batch): Promise<IngestResult | null> {
    const { request, batchId, timer } = batch;
    let schema = declared;
    const ts = ident(schema.timestampColumn);
    const keys = joinSql(schema.keys.map((k) => ident(k)));
    const keep = keepSql(schema, request);
    const intervalSeconds = request.timing.kind === 'start' ? request.timing.interval.seconds : null;
    const staged = 'staged' in input ? ident(input.staged) : null;
    const rows = 'staged' in input ? sql`${staged} WHERE ${keep}` : writtenRowsSql(input.written, input.files);
    const groups = ident(`groups_${randomBytes(6).toString('hex')}`);
    // The staging folder this method must discard if it leaves before the commit takes it over.
    let pending = 'written' in input ? input.written : null;
    try {
      const slotUs = request.timing.kind === 'close' ? null : (intervalSeconds ?? 86_400) * 1_000_000;
      const stats = async (distinct: Sql) => {
        await session.run(sql`CREATE OR REPLACE TEMP TABLE ${groups} AS SELECT ${keys}, count(*) AS n, ${distinct} AS d, min(${ts}) AS lo, max(${ts}) AS hi FROM ${rows} GROUP BY ALL`);
        return (await session.one<{ bad: number; good: number; dups: number; lo: string | null; hi: string | null; partitions: number }>(
          sql`SELECT ${staged ? sql`(SELECT count(*) FROM ${staged} WHERE _error IS NOT NULL)` : sql`0`} AS bad,
                  coalesce(sum(d), 0)::BIGINT AS good, coalesce(sum(n - d), 0)::BIGINT AS dups, min(lo) AS lo, max(hi) AS hi,
                  coalesce((epoch(max(hi)) - epoch(min(lo))) / 86400 + 2, 0)::BIGINT AS partitions FROM ${groups}`,
        ))!;
      };
      // Slots first (cheap); a staged batch whose slots tell of duplicates is counted exactly.
      let totals = await stats(await distinctSlotsSql(session, schema, rows, slotUs));
      if (staged && totals.dups > 0) totals = await stats(sql`count(DISTINCT ${ts})`);
      if (pending && (totals.dups > 0 || totals.good === 0)) {
        await this.lake.discardStaging(pending);
        return null;
      }
      const gaps = intervalSeconds
        ? await session.all<{ key: string; missing: number }>(
            sql`SELECT concat_ws('/', ${keys}) AS key,
                    (round((epoch(hi) - epoch(lo)) / ${intervalSeconds}) + 1 - d)::BIGINT AS missing
             FROM ${groups} WHERE missing > 0 ORDER BY missing DESC, key LIMIT 20`,
          )
        : await this.sessionGaps(session, groups, keys, request.timing);
      const errors = staged
        ? await session.all<{ row: number; message: string }>(
            sql`SELECT rowid + 1 AS row, _error AS message FROM ${staged} WHERE _error IS NOT NULL ORDER BY rowid LIMIT ${Math.max(0, Math.floor(request.maxReportedErrors ?? MAX_REPORTED_ERRORS))}`,
          )
        : [];
      timer.mark('stats');
      const quarantineFile = staged && totals.bad > 0 ? await this.quarantine(session, staged, request.dataset, batchId) : null;
      if (staged) timer.mark('quarantine');
      const base = {
        dataset: request.dataset,
        skipped: false,
        rejected: totals.bad,
        supersededInBatch: totals.dups,
        errors,
        quarantineFile,
        ignoredColumns: batch.ignoredColumns,
        minTs: totals.lo,
        maxTs: totals.hi,
        gaps,
      };
      if (totals.good === 0) {
        if (totals.bad === 0) return { ...emptyResult(request.dataset, batch.started), ...base, batchId: null };
        throw new UnprocessableError(ErrorCode.NothingIngested, `no valid row in the batch: ${totals.bad} rejected`, {
          rejected: totals.bad,
          errors,
          quarantineFile,
        });
      }
      schema = await this.sizedFromData(session, schema, groups, request, batch.isNewDataset);
      const dir = pending ?? (pending = await this.lake.createStaging(batchId));
      if (staged) {
        const dedup = totals.dups > 0 ? sql`QUALIFY row_number() OVER (PARTITION BY ${keys}, ${ts} ORDER BY rowid DESC) = 1` : sql``;
        // One writer per date partition; DuckDB's default of 100 open files would split
        // a backfill's partitions into several files each.
        await session.run(sql`SET partitioned_write_max_open_files = ${Math.min(100_000, Math.max(100, totals.partitions + 1))}`);
        await session.run(partitionedCopySql(schema, staged, sql`${keep} ${dedup}`, lakePartitionSql(schema), dir));
        timer.mark('write');
      }
      if (batch.isNewDataset) await this.registry.putDataset(schema, true);
      // From here the lake owns the staging folder: it discards or finishes it whatever happens.
      pending = null;
      const record = await this.lake.commit(
        dir,
        {
          batchId,
          dataset: request.dataset,
          identity: batch.identity,
          source: request.source.label,
          rows: totals.good,
          rejected: totals.bad,
          ingestedAt: batch.batchTime.toISOString(),
          committedAt: this.clock.now().toISOString(),
        },
        this.registry,
      );
      timer.mark('commit');
      return { ...base, batchId, accepted: totals.good, files: record.files, elapsedMs: Date.now() - batch.started, phases: timer.phases };
    } catch (error) {
      if (pending) await this.lake.discardStaging(pending);
      throw error;
    } finally {
      await session.run(sql`DROP TABLE IF EXISTS ${groups}`);
    }
  }

  // Bars dated by a calendar miss a bar only where a session is missing: weekends and holidays are no gaps.
  private async sessionGaps(session: DuckDbSession, groups: Sql, keys: Sql, timing: BarTiming): Promise<Array<{ key: string; missing: number }>> {
    if (timing.kind !== 'session' || !timing.calendar) return [];
    const calendar = tradingCalendar(timing.calendar);
    const rows = await session.all<{ key: string; lo: number; hi: number; d: number }>(
      sql`SELECT concat_ws('/', ${keys}) AS key, epoch_ms(lo) AS lo, epoch_ms(hi) AS hi, d FROM ${groups}`,
    );
    return rows
      .map((r) => ({ key: r.key, missing: calendar.sessionsClosingBetween(new Date(Number(r.lo)), new Date(Number(r.hi))) - Number(r.d) }))
      .filter((g) => g.missing > 0)
      .sort((a, b) => b.missing - a.missing || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, 20);
  }

  private async quarantine(session: DuckDbSession, staged: Sql, dataset: string, batchId: string): Promise<string> {
    const path = this.lake.quarantinePath(dataset, batchId);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await session.run(
      sql`COPY (SELECT rowid + 1 AS row, _error AS error, _raw::JSON AS raw FROM ${staged} WHERE _error IS NOT NULL ORDER BY rowid)
       TO ${fileLiteral(tmp)} (FORMAT json)`,
    );
    await rename(tmp, path).catch(async (error: unknown) => {
      await rm(tmp, { force: true });
      throw error;
    });
    return path;
  }
}

function emptyResult(dataset: string, started: number): IngestResult {
  return {
    dataset,
    batchId: null,
    skipped: false,
    accepted: 0,
    rejected: 0,
    supersededInBatch: 0,
    errors: [],
    quarantineFile: null,
    files: [],
    ignoredColumns: [],
    minTs: null,
    maxTs: null,
    gaps: [],
    elapsedMs: Date.now() - started,
    phases: {},
  };
}

// The bar interval a timing states, in seconds (daily for session bars); null when it states none.
function barSeconds(timing: BarTiming): number | null {
  return timing.kind === 'start' ? timing.interval.seconds : timing.kind === 'session' ? 86_400 : null;
}
