import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CalendarName } from '../calendar/calendars';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import { ErrorCode, NotFoundError, FeatureStoreError } from '../errors/feature-store.error';
import type { BatchIngestor, IngestResult, RowError } from '../ingest/batch-ingestor';
import type { SourceFormat } from '../ingest/ingest-source';
import type { LakeRepository } from '../lake/lake.repository';
import type { DatasetRepository } from '../registry/dataset.repository';
import { assertIdentifier, quoteIdent } from '../sql/identifier';
import { ident, joinSql, sql } from '../sql/sql';
import { partitionFilterText, type PartitionGranularity } from '../lake/partitioning';
import { utcDay } from '../util/time';
import { sha256 } from '../util/hash';
import { rowsToNdjson } from './ndjson-rows';
import { assertTableWidth } from './table-width';
import { INGESTED_AT, granularityOf, validateSchema, type DatasetDeclaration, type DatasetSchema } from './dataset.schema';

export interface DatasetInfo {
  readonly name: string;
  readonly keys: readonly string[];
  readonly timestampColumn: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  /** The trading calendar the dataset declared, or null. */
  readonly calendar: CalendarName | null;
  /** The time one lake partition holds (day, month or year). */
  readonly partition: PartitionGranularity;
  /** The declared retention of superseded row versions, or null (all kept). */
  readonly retention: string | null;
  /** Current rows: one per (keys, timestamp), superseded versions not counted. */
  readonly rows: number;
  readonly minTs: string | null;
  readonly maxTs: string | null;
  readonly batches: number;
}

/** Rows as a file's bytes, in a format DuckDB reads (a pushed CSV, NDJSON or Parquet body). */
export interface RowsFile {
  readonly bytes: Buffer;
  readonly format: SourceFormat;
}

export interface RowsResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly RowError[];
  readonly batchId: string | null;
  /** True when this exact body had been ingested before: nothing was written again. */
  readonly duplicate: boolean;
  readonly supersededInBatch: number;
  readonly quarantineFile: string | null;
  readonly ignoredColumns: readonly string[];
}

/** Datasets of the lake: declaring them, describing them, pushing rows into them. */
export class DatasetService {
  private readonly boundsCache = new Map<string, { key: string; bounds: { minTs: string | null; maxTs: string | null } }>();
  private readonly statsCache = new Map<string, { key: string; stats: Pick<DatasetInfo, 'rows' | 'minTs' | 'maxTs'> }>();

  constructor(
    private readonly db: DuckDbClient,
    private readonly lake: LakeRepository,
    private readonly registry: DatasetRepository,
    private readonly ingestor: BatchIngestor,
    private readonly tmpDir: string,
  ) {}

  /**
   * The files, as absolute paths, of the batches recorded after batch `afterSeq` (see
   * BatchRecord.seq), with the highest seq recorded now.
   */
  async batchFilesAfter(name: string, afterSeq: number): Promise<{ files: string[]; lastSeq: number }> {
    const lastSeq = await this.registry.lastBatchSeq(name);
    const later = await this.registry.batchesAfter(name, afterSeq);
    return { files: later.flatMap((b) => b.files.map((f) => join(this.lake.lakeDir, f))), lastSeq };
  }

  /** The highest batch seq recorded for a dataset (0 before any). */
  lastBatchSeq(name: string): Promise<number> {
    return this.registry.lastBatchSeq(name);
  }

  /** Earliest and latest timestamp in a dataset (cheap: Parquet statistics), cached until the next batch. */
  async timeBounds(name: string): Promise<{ minTs: string | null; maxTs: string | null }> {
    const schema = await this.schema(name);
    const { key } = await this.batchKey(name);
    const cached = this.boundsCache.get(name);
    if (cached && cached.key === key) return cached.bounds;
    const scan = await this.lake.scanSql(name);
    const ts = ident(schema.timestampColumn, 'timestampColumn');
    const bounds = scan
      ? ((await this.db.withSession((s) => s.one<{ minTs: string | null; maxTs: string | null }>(sql`SELECT min(${ts}) AS "minTs", max(${ts}) AS "maxTs" FROM ${scan}`))) ?? { minTs: null, maxTs: null })
      : { minTs: null, maxTs: null };
    this.boundsCache.set(name, { key, bounds });
    return bounds;
  }

  /** Declares a dataset; an identical declaration is a no-op, a different one for a known name a CONFLICT. */
  async declare(name: string, declaration: DatasetDeclaration): Promise<{ created: boolean; schema: DatasetSchema }> {
    const declared = validateSchema(name, declaration);
    // A new dataset gets the default granularity written down; an existing one is compared on
    // what the declaration states (a field it leaves out keeps the stored value).
    const schema = declared.partition ? declared : { ...declared, partition: declared.calendar ? ('month' as const) : ('day' as const) };
    const stored = await this.registry.putDataset(schema, true);
    if (stored === schema) return { created: true, schema };
    const asStated = { ...declared, ...(declared.partition ? {} : { partition: stored.partition }), ...(declared.retention ? {} : { retention: stored.retention }) };
    if (JSON.stringify(stored) === JSON.stringify(stripUndefined(asStated))) return { created: false, schema: stored };
    throw new FeatureStoreError(ErrorCode.Conflict, `dataset ${name} is already declared with a different schema`, {
      field: 'columns',
      declared: stored,
    });
  }

  async list(): Promise<DatasetInfo[]> {
    const schemas = await this.registry.listDatasets();
    return Promise.all(schemas.map((s) => this.describe(s)));
  }

  async get(name: string): Promise<DatasetInfo> {
    return this.describe(await this.schema(name));
  }

  async schema(name: string): Promise<DatasetSchema> {
    assertIdentifier(name, 'name');
    const schema = await this.registry.getDataset(name);
    if (!schema) throw new NotFoundError(`dataset ${name} does not exist`, { field: 'name' }, ErrorCode.UnknownDataset);
    return schema;
  }

  /**
   * SQL for a dataset's current rows: for each (keys, timestamp) the row ingested last.
   * Undefined while the dataset has no files.
   */
  async currentRowsSql(schema: DatasetSchema, between?: { from?: Date; to: Date }): Promise<string | undefined> {
    const all = await this.allRowsSql(schema, between);
    if (!all) return undefined;
    const partition = [...schema.keys, schema.timestampColumn].map(quoteIdent).join(', ');
    return `${all} QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${INGESTED_AT} DESC) = 1`;
  }

  /** SQL for every stored row of a dataset, superseded versions included, optionally within a time range. */
  async allRowsSql(schema: DatasetSchema, between?: { from?: Date; to: Date }): Promise<string | undefined> {
    const scan = await this.lake.scanSql(schema.name);
    if (!scan) return undefined;
    const ts = quoteIdent(schema.timestampColumn);
    const where: string[] = [];
    // The hive `date` partition is the UTC date of ts: filtering on it prunes whole folders.
    // Text, not parameters: this SQL also defines views (the sandbox's `source`), which DuckDB
    // cannot prepare. The bounds are Dates the program formats, never request text.
    if (between) where.push(partitionFilterText(between.from && utcDay(between.from), utcDay(between.to)));
    if (between?.from) where.push(`${ts} >= ${timestampLiteral(between.from)}`);
    if (between) where.push(`${ts} <= ${timestampLiteral(between.to)}`);
    return `SELECT * EXCLUDE (date) FROM ${scan}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  }

  /** Ingests row objects (a Feast push's `df`, which errors name); creates the dataset from them if unknown. */
  ingestRows(name: string, rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<RowsResult> {
    return this.ingestFile(name, { bytes: Buffer.from(rowsToNdjson(rows, 'df')), format: 'ndjson' });
  }

  /** Ingests a file of rows (a pushed CSV, NDJSON or Parquet body); creates the dataset from it if unknown. */
  async ingestFile(name: string, file: RowsFile): Promise<RowsResult> {
    assertIdentifier(name, 'name');
    const { bytes, format } = file;
    assertTableWidth(bytes, format, 'body');
    await mkdir(this.tmpDir, { recursive: true });
    const path = join(this.tmpDir, `rows-${randomBytes(8).toString('hex')}.${format}`);
    await writeFile(path, bytes);
    try {
      if (bytes.length === 0) return emptyRows();
      const result = await this.ingestor.ingest({
        dataset: name,
        source: { kind: 'file', path, format, identity: sha256('rows', bytes), label: `rows pushed to ${name}` },
        timing: { kind: 'close' },
        createAs: 'infer',
      });
      return toRowsResult(result);
    } finally {
      await rm(path, { force: true });
    }
  }

  private async describe(schema: DatasetSchema): Promise<DatasetInfo> {
    const { key, batches } = await this.batchKey(schema.name);
    let cached = this.statsCache.get(schema.name);
    if (!cached || cached.key !== key) {
      cached = { key, stats: await this.computeStats(schema) };
      this.statsCache.set(schema.name, cached);
    }
    return {
      name: schema.name,
      keys: schema.keys,
      timestampColumn: schema.timestampColumn,
      columns: [...schema.columns.map((c) => ({ name: c.name, type: c.type })), { name: INGESTED_AT, type: 'TIMESTAMPTZ' }],
      calendar: schema.calendar ?? null,
      partition: granularityOf(schema),
      retention: schema.retention ?? null,
      ...cached.stats,
      batches,
    };
  }

  // Changes whenever a batch is committed: the caches of derived figures are keyed by it.
  private async batchKey(name: string): Promise<{ key: string; batches: number }> {
    const batches = await this.registry.listBatches(name);
    return { key: `${batches.length}:${batches.map((b) => b.batchId).sort().at(-1) ?? ''}`, batches: batches.length };
  }

  private async computeStats(schema: DatasetSchema): Promise<Pick<DatasetInfo, 'rows' | 'minTs' | 'maxTs'>> {
    const scan = await this.lake.scanSql(schema.name);
    if (!scan) return { rows: 0, minTs: null, maxTs: null };
    const ts = ident(schema.timestampColumn, 'timestampColumn');
    const group = joinSql([...schema.keys.map((k) => ident(k, 'keys')), ts]);
    const row = await this.db.withSession((s) =>
      s.one<{ rows: number; minTs: string | null; maxTs: string | null }>(
        sql`SELECT count(*) AS rows, min(${ts}) AS "minTs", max(${ts}) AS "maxTs" FROM (SELECT ${group} FROM ${scan} GROUP BY ALL)`,
      ),
    );
    return row ?? { rows: 0, minTs: null, maxTs: null };
  }
}

function toRowsResult(r: IngestResult): RowsResult {
  return {
    accepted: r.accepted,
    rejected: r.rejected,
    errors: r.errors,
    batchId: r.batchId,
    duplicate: r.skipped,
    supersededInBatch: r.supersededInBatch,
    quarantineFile: r.quarantineFile,
    ignoredColumns: r.ignoredColumns,
  };
}

function emptyRows(): RowsResult {
  return { accepted: 0, rejected: 0, errors: [], batchId: null, duplicate: false, supersededInBatch: 0, quarantineFile: null, ignoredColumns: [] };
}

// A Date as a TIMESTAMPTZ literal (toISOString never yields a quote).
function timestampLiteral(date: Date): string {
  return `TIMESTAMPTZ '${date.toISOString()}'`;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
