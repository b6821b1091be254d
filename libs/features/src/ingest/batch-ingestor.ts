import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { barSchema, granularityOf, inferSchema, type DatasetSchema } from '../datasets/dataset.schema';
import { defaultGranularity, partitionValueSql } from '../lake/partitioning';
import type { DuckDbClient, DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, FeatureStoreError, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import type { LakeRepository } from '../lake/lake.repository';
import type { DatasetRepository } from '../registry/dataset.repository';
import { assertIdentifier } from '../sql/identifier';
import { fileLiteral, ident, joinSql, sql, type Sql } from '../sql/sql';
import type { Clock } from '../util/clock';
import { canonicalJson, sha256 } from '../util/hash';
import { tradingCalendar } from '../calendar/calendars';
import { describeTiming, timingForDataset, type BarTiming } from './bar-timing';
import { resolveMapping, type ResolvedMapping, type SourceColumn } from './column-mapping';
import { readerSql, type IngestSource } from './ingest-source';
import { silentProgress, type ProgressSink } from './progress';
import { lakeColumns, stagingSelect } from './staging.sql';
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
      const batchId = `${batchTime.toISOString().replace(/[-:.]/g, '')}-${identity.slice(0, 12)}`;
      const stagedName = `staged_${randomBytes(6).toString('hex')}`;
      const staged = ident(stagedName);
      try {
        for (const plan of readPlans(request.source, described, mapping)) {
          const readMapping = resolveMapping(schema, plan.columns, request.mapping ?? {}, request.constants ?? {});
          try {
            await runWithProgress(
              session,
              sql`CREATE OR REPLACE TEMP TABLE ${staged} AS ${stagingSelect(schema, readMapping, timing, batchTime, plan.reader, plan.columns)}`,
              progress,
              `ingest ${request.dataset}`,
            );
            break;
          } catch (error) {
            if (plan.final) throw readError(request.source, error);
          }
        }
        timer.mark('read+validate');
        return await this.writeBatch(session, stagedName, schema, { ...request, timing }, batchId, batchTime, identity, existing === undefined, mapping.ignored, started, timer);
      } finally {
        await session.run(sql`DROP TABLE IF EXISTS ${staged}`);
        progress.done();
      }
    });
  }

  // A new dataset of bars that carry no interval (their time is the close) is sized from its
  // first batch: a mean spacing of a day or more is daily data, partitioned by month.
  private async sizedFromData(session: DuckDbSession, schema: DatasetSchema, groups: Sql, request: IngestRequest, isNewDataset: boolean): Promise<DatasetSchema> {
    if (!isNewDataset || request.timing.kind !== 'close') return schema;
    const row = await session.one<{ spacing: number | null }>(sql`SELECT avg((epoch(hi) - epoch(lo)) / (d - 1)) AS spacing FROM ${groups} WHERE d > 1`);
    const spacing = row?.spacing === null || row?.spacing === undefined ? null : Number(row.spacing);
    return { ...schema, partition: defaultGranularity(spacing === null ? null : spacing >= 72_000 ? 86_400 : spacing) };
  }

  private newSchema(request: IngestRequest, timing: BarTiming, described: readonly SourceColumn[]): DatasetSchema {
    switch (request.createAs) {
      case 'bars':
        // Bars first ingested by a calendar's sessions belong to that calendar from then on.
        return timing.kind === 'session' && timing.calendar
          ? { ...barSchema(request.dataset), calendar: timing.calendar, partition: 'month' }
          : { ...barSchema(request.dataset), partition: defaultGranularity(barSeconds(timing)) };
      case 'infer':
        return { ...inferSchema(request.dataset, described), partition: defaultGranularity(barSeconds(timing)) };
      case 'none':
        throw new NotFoundError(`dataset ${request.dataset} is not declared`, { field: 'dataset' }, ErrorCode.UnknownDataset);
    }
  }

  private async writeBatch(
    session: DuckDbSession,
    stagedName: string,
    declared: DatasetSchema,
    request: IngestRequest,
    batchId: string,
    batchTime: Date,
    identity: string,
    isNewDataset: boolean,
    ignoredColumns: readonly string[],
    started: number,
    timer: PhaseTimer,
  ): Promise<IngestResult> {
    let schema = declared;
    const ts = ident(schema.timestampColumn);
    const keys = joinSql(schema.keys.map((k) => ident(k)));
    const keep = joinSql(
      [
        sql`_error IS NULL`,
        ...(request.keepAfter ? [sql`${ts} > ${request.keepAfter}`] : []),
        ...(request.keepUntil ? [sql`${ts} <= ${request.keepUntil}`] : []),
      ],
      ' AND ',
    );
    const intervalSeconds = request.timing.kind === 'start' ? request.timing.interval.seconds : null;
    const staged = ident(stagedName);
    const groups = ident(`groups_${stagedName}`);
    await session.run(
      sql`CREATE TEMP TABLE ${groups} AS SELECT ${keys}, count(*) AS n, count(DISTINCT ${ts}) AS d, min(${ts}) AS lo, max(${ts}) AS hi
       FROM ${staged} WHERE ${keep} GROUP BY ALL`,
    );
    try {
      const totals = (await session.one<{ total: number; bad: number; good: number; dups: number; lo: string | null; hi: string | null; partitions: number }>(
        sql`SELECT (SELECT count(*) FROM ${staged}) AS total, (SELECT count(*) FROM ${staged} WHERE _error IS NOT NULL) AS bad,
                coalesce(sum(d), 0)::BIGINT AS good, coalesce(sum(n - d), 0)::BIGINT AS dups, min(lo) AS lo, max(hi) AS hi,
                coalesce((epoch(max(hi)) - epoch(min(lo))) / 86400 + 2, 0)::BIGINT AS partitions FROM ${groups}`,
      ))!;
      const gaps = intervalSeconds
        ? await session.all<{ key: string; missing: number }>(
            sql`SELECT concat_ws('/', ${keys}) AS key,
                    (round((epoch(hi) - epoch(lo)) / ${intervalSeconds}) + 1 - d)::BIGINT AS missing
             FROM ${groups} WHERE missing > 0 ORDER BY missing DESC, key LIMIT 20`,
          )
        : await this.sessionGaps(session, groups, keys, request.timing);
      const errors = await session.all<{ row: number; message: string }>(
        sql`SELECT rowid + 1 AS row, _error AS message FROM ${staged} WHERE _error IS NOT NULL ORDER BY rowid LIMIT ${Math.max(0, Math.floor(request.maxReportedErrors ?? MAX_REPORTED_ERRORS))}`,
      );
      timer.mark('stats');
      const quarantineFile = totals.bad > 0 ? await this.quarantine(session, staged, request.dataset, batchId) : null;
      timer.mark('quarantine');
      const base = {
        dataset: request.dataset,
        skipped: false,
        rejected: totals.bad,
        supersededInBatch: totals.dups,
        errors,
        quarantineFile,
        ignoredColumns,
        minTs: totals.lo,
        maxTs: totals.hi,
        gaps,
      };
      if (totals.good === 0) {
        if (totals.bad === 0) return { ...emptyResult(request.dataset, started), ...base, batchId: null };
        throw new UnprocessableError(ErrorCode.NothingIngested, `no valid row in the batch: ${totals.bad} rejected`, {
          rejected: totals.bad,
          errors,
          quarantineFile,
        });
      }
      schema = await this.sizedFromData(session, schema, groups, request, isNewDataset);
      const dir = await this.lake.createStaging(batchId);
      try {
        const dedup = totals.dups > 0 ? sql`QUALIFY row_number() OVER (PARTITION BY ${keys}, ${ts} ORDER BY rowid DESC) = 1` : sql``;
        // One writer per date partition; DuckDB's default of 100 open files would split
        // a backfill's partitions into several files each.
        await session.run(sql`SET partitioned_write_max_open_files = ${Math.min(100_000, Math.max(100, totals.partitions + 1))}`);
        await session.run(
          sql`COPY (SELECT ${lakeColumns(schema)}, ${partitionValueSql(ts, granularityOf(schema))} AS date FROM ${staged} WHERE ${keep} ${dedup})
           TO ${fileLiteral(dir)} (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part_{i}', OVERWRITE_OR_IGNORE)`,
        );
        timer.mark('write');
        if (isNewDataset) await this.registry.putDataset(schema, true);
      } catch (error) {
        await this.lake.discardStaging(dir);
        throw error;
      }
      // From here the lake owns the staging folder: it discards or finishes it whatever happens.
      const record = await this.lake.commit(
        dir,
        {
          batchId,
          dataset: request.dataset,
          identity,
          source: request.source.label,
          rows: totals.good,
          rejected: totals.bad,
          ingestedAt: batchTime.toISOString(),
          committedAt: this.clock.now().toISOString(),
        },
        this.registry,
      );
      timer.mark('commit');
      return { ...base, batchId, accepted: totals.good, files: record.files, elapsedMs: Date.now() - started, phases: timer.phases };
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

interface ReadPlan {
  readonly reader: Sql;
  readonly columns: readonly SourceColumn[];
  readonly final: boolean;
}

/**
 * Fast path first: let DuckDB parse typed columns (forcing the dataset's types on mapped CSV
 * columns, and on the JSON fields of a writer that checked their types). If one bad value breaks
 * that read, read everything as text instead, so that the bad value fails only its own row.
 */
function readPlans(source: IngestSource, described: readonly SourceColumn[], mapping: ResolvedMapping): ReadPlan[] {
  const asText: ReadPlan = {
    reader: readerSql(source, { allText: true, jsonColumns: described.map((c) => c.name) }),
    columns: described.map((c) => ({ name: c.name, type: 'VARCHAR' })),
    final: true,
  };
  if (source.kind === 'query' || source.format === 'parquet') return [{ reader: readerSql(source), columns: described, final: true }];
  const forced: Record<string, string> = {};
  for (const { spec, origin } of mapping.columns) {
    if ('source' in origin && spec.type !== 'TIMESTAMPTZ') forced[origin.source.name] = spec.type;
  }
  if (source.format !== 'csv') {
    // JSON is read as text, per row (its types vary by row, and DuckDB's typed JSON read converts
    // some values the text path rejects, e.g. true as 1), unless its writer names its fields and
    // has checked their JSON types (the stream): then typed first, the dataset's types on mapped
    // columns, text for the rest (timestamps included).
    if (source.kind !== 'file' || !source.fields) return [asText];
    const types = Object.fromEntries(described.map((c) => [c.name, forced[c.name] ?? 'VARCHAR']));
    const typed: ReadPlan = { reader: readerSql(source, { jsonTypes: types }), columns: described.map((c) => ({ name: c.name, type: types[c.name] })), final: false };
    return [typed, asText];
  }
  const typed: ReadPlan = {
    reader: readerSql(source, { csvTypes: forced }),
    columns: described.map((c) => ({ name: c.name, type: forced[c.name] ?? c.type })),
    final: false,
  };
  return [typed, asText];
}

function readError(source: IngestSource, error: unknown): Error {
  if (error instanceof FeatureStoreError) return error;
  return new UnprocessableError(ErrorCode.InvalidArgument, `cannot read ${source.label}: ${(error as Error).message.split('\n')[0]}`, {
    field: 'source',
  });
}

async function describeSource(session: DuckDbSession, source: IngestSource): Promise<SourceColumn[]> {
  if (source.kind === 'file' && source.fields && (source.format === 'json' || source.format === 'ndjson')) {
    return source.fields.map((name) => ({ name, type: 'VARCHAR' }));
  }
  try {
    const rows = await session.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM ${readerSql(source)}`);
    return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  } catch (error) {
    throw new UnprocessableError(ErrorCode.InvalidArgument, `cannot read ${source.label}: ${(error as Error).message.split('\n')[0]}`, {
      field: 'source',
    });
  }
}

/** Runs a long statement while reporting DuckDB's own progress to the sink. */
async function runWithProgress(session: DuckDbSession, statement: Sql, progress: ProgressSink, label: string): Promise<void> {
  const timer = setInterval(() => {
    const p = session.progress;
    progress.update(label, p.percentage >= 0 ? p.percentage / 100 : undefined, p.rowsProcessed);
  }, 250);
  try {
    await session.run(statement);
  } finally {
    clearInterval(timer);
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
