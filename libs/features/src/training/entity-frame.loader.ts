import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetService } from '../datasets/dataset.service';
import { rowsToNdjson } from '../datasets/ndjson-rows';
import { assertTableWidth } from '../datasets/table-width';
import type { DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import { parseTimestamp } from '../ingest/staging.sql';
import { quoteSourceColumn } from '../sql/identifier';
import { fileLiteral, ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { SANE_TIME_RANGE } from '../util/time';
import { contentDigest } from './content-digest';
import type { EntityFrameFormat, EntitySource } from './training-set.command';

/** The entity rows of a training set, loaded into the session's `entities` table. */
export interface LoadedEntities {
  /** Digest of the entity rows in request order (see contentDigest). */
  readonly digest: string;
  readonly rows: number;
}

/** The table the point-in-time join reads: the entity columns, `_row` = request order. */
export const ENTITY_TABLE = 'entities';

// The end of a dataset range when the request gives none.
const NO_END = new Date(SANE_TIME_RANGE.maxMs);

// JSON has no date type, so DuckDB guesses DATE or TIMESTAMP from a sample of the rows and then
// fails on a later row that does not fit ("2024-01-01" first, "2024-01-01T10:00:00Z" after). Formats
// no ISO-8601 text matches stop that guess: such strings stay text, and the time column is parsed
// by parseTimestamp exactly as a CSV frame's text is.
const JSON_AS_WRITTEN = raw("format = 'newline_delimited', dateformat = '(no dates) %d', timestampformat = '(no timestamps) %d'");

// DuckDB names the file it read; the client sent a body, and the server's folders are not its business.
function withoutServerPaths(message: string, file: string, tmpDir: string): string {
  return message
    .replace(/file (["'])(.*?)\1/g, (whole: string, _quote: string, named: string) => (named === file ? 'the body' : whole))
    .replaceAll(file, 'the body')
    .replaceAll(tmpDir, '…');
}

/** Throws a 400 for an empty list of rows or an empty frame (checked before any work is done). */
export function assertEntitiesGiven(source: EntitySource): void {
  if (source.kind === 'rows' && source.rows.length === 0) throw new InvalidArgumentError('entities: a non-empty array of entity rows is required', { field: 'entities' });
  if (source.kind === 'frame' && source.bytes.length === 0) throw new InvalidArgumentError('body: the entity frame is empty', { field: 'body' });
}

/**
 * Loads an entity frame (rows, file bytes or a dataset's bars) into `entities`: keys as text, the
 * timestamp parsed as UTC, other columns (labels) as given, `_row` the request order.
 */
export class EntityFrameLoader {
  constructor(
    private readonly datasets: Pick<DatasetService, 'schema' | 'currentRowsSql'>,
    private readonly tmpDir: string,
  ) {}

  /** Loads `source` with `keys` and `tsColumn` required; 400 naming the row or column otherwise. */
  async load(s: DuckDbSession, source: EntitySource, tsColumn: string, keys: readonly string[]): Promise<LoadedEntities> {
    assertEntitiesGiven(source);
    if (source.kind === 'dataset') await this.loadDatasetBars(s, source, tsColumn, keys);
    else {
      const bytes = source.kind === 'rows' ? rowsToNdjson(source.rows, 'entities') : source.bytes;
      const columnTypes = source.kind === 'frame' ? source.columnTypes : undefined;
      await this.loadFile(s, bytes, source.kind === 'rows' ? 'ndjson' : source.format, tsColumn, keys, source.kind === 'rows', columnTypes);
    }
    const count = await s.one<{ n: number }>(sql`SELECT count(*) AS n FROM ${ident(ENTITY_TABLE)}`);
    return { digest: await contentDigest(s, ident(ENTITY_TABLE), '_row', ['_row']), rows: Number(count?.n ?? 0) };
  }

  // Reads the frame from a spooled file (DuckDB reads files, not buffers), then removes it.
  private async loadFile(
    s: DuckDbSession,
    bytes: string | Buffer,
    format: EntityFrameFormat,
    tsColumn: string,
    keys: readonly string[],
    fromRows: boolean,
    columnTypes?: Readonly<Record<string, string>>,
  ): Promise<void> {
    if (!fromRows) assertTableWidth(bytes, format, 'body');
    await mkdir(this.tmpDir, { recursive: true });
    const file = join(this.tmpDir, `entities-${randomBytes(8).toString('hex')}.${format}`);
    await writeFile(file, bytes);
    try {
      const path = fileLiteral(file);
      const reader =
        format === 'csv'
          ? sql`read_csv(${path}, header = true)`
          : format === 'parquet'
            ? sql`read_parquet(${path})`
            : columnTypes
              ? sql`read_json(${path}, format = 'newline_delimited', columns = ${{ ...columnTypes }})`
              : sql`read_json(${path}, ${JSON_AS_WRITTEN})`;
      try {
        // A table keeps the file's row order (insertion order is preserved), so rowid is the request order.
        await s.run(sql`CREATE OR REPLACE TEMP TABLE entities_raw AS SELECT * FROM ${reader}`);
      } catch (error) {
        const reason = withoutServerPaths((error as Error).message.split('\n')[0], file, this.tmpDir);
        if (fromRows) throw new InvalidArgumentError(`entities: cannot read the entity rows: ${reason}`, { field: 'entities' });
        throw new InvalidArgumentError(`body: cannot read the entity frame as ${format}: ${reason}`, { field: 'body' });
      }
    } finally {
      await rm(file, { force: true });
    }
    const described = await s.all<{ column_name: string; column_type: string }>('DESCRIBE entities_raw');
    const columns = new Map(described.map((c) => [c.column_name, c.column_type]));
    if (columns.has('_row')) throw new InvalidArgumentError('entities: the column name _row is reserved', { field: '_row' });
    for (const needed of [tsColumn, ...keys]) {
      if (!columns.has(needed)) throw new InvalidArgumentError(`entities: the column ${needed} is missing`, { field: needed });
    }
    const select = described.map((c) => {
      const col = quoteSourceColumn(c.column_name);
      if (c.column_name === tsColumn) return raw(`${parseTimestamp(col, c.column_type)} AS ${col}`);
      if (keys.includes(c.column_name)) return raw(`CAST(${col} AS VARCHAR) AS ${col}`);
      return raw(col);
    });
    // `_row` carries the request order; every later use orders by it, so no sort is needed here.
    await s.run(sql`CREATE OR REPLACE TEMP TABLE entities AS SELECT ${joinSql(select)}, rowid AS _row FROM entities_raw`);
    await this.rejectBadTimes(s, tsColumn, fromRows);
  }

  // An unparseable time, or one outside SANE_TIME_RANGE, is a 400 naming the first such row (1-based).
  private async rejectBadTimes(s: DuckDbSession, tsColumn: string, fromRows: boolean): Promise<void> {
    const ts = ident(tsColumn, 'timestampColumn');
    const [min, max] = [new Date(SANE_TIME_RANGE.minMs), new Date(SANE_TIME_RANGE.maxMs)];
    // The raw text is looked up only for the rows that failed.
    const bad = await s.all<{ n: number; raw: string | null; parsed: boolean }>(sql`
      SELECT e._row AS n, CAST(r.${raw(quoteSourceColumn(tsColumn))} AS VARCHAR) AS raw, e.parsed
      FROM (SELECT _row, ${ts} IS NOT NULL AS parsed FROM entities WHERE ${ts} IS NULL OR ${ts} < ${min} OR ${ts} >= ${max} ORDER BY _row LIMIT 5) AS e
      JOIN entities_raw AS r ON r.rowid = e._row ORDER BY e._row`);
    await s.run('DROP TABLE entities_raw');
    if (bad.length === 0) return;
    const first = bad[0];
    // JSON rows are named by their index in `entities` (as every JSON path); a file's rows by number.
    const field = fromRows ? `entities[${first.n}].${tsColumn}` : tsColumn;
    const where = fromRows ? field : `body row ${first.n + 1}: ${tsColumn}`;
    const problem = first.parsed ? `${JSON.stringify(first.raw)} is outside the years 1900 to 2199` : `cannot parse ${JSON.stringify(first.raw)} as a UTC timestamp`;
    throw new InvalidArgumentError(`${where}: ${problem}`, { field, rows: bad.map((b) => ({ row: b.n + 1, raw: b.raw })) });
  }

  // The entity frame as every bar of the chosen symbols in [start, end] of a dataset.
  private async loadDatasetBars(s: DuckDbSession, spine: Extract<EntitySource, { kind: 'dataset' }>, tsColumn: string, keys: readonly string[]): Promise<void> {
    const schema = await this.datasets.schema(spine.dataset).catch(() => {
      throw new UnprocessableError(ErrorCode.UnknownReference, `entities.from: dataset ${spine.dataset} does not exist`, { field: 'entities.from' });
    });
    for (const k of keys) {
      if (!schema.keys.includes(k)) throw new InvalidArgumentError(`entities.from: ${spine.dataset} has no key column ${k}`, { field: 'entities.from' });
    }
    const current = await this.datasets.currentRowsSql(schema, { from: spine.start ?? undefined, to: spine.end ?? NO_END });
    const ts = ident(tsColumn, 'timestampColumn');
    const keyCols = joinSql(keys.map((k) => ident(k)));
    if (!current) {
      const empty = joinSql([...keys.map((k) => sql`NULL::VARCHAR AS ${ident(k)}`), sql`NULL::TIMESTAMPTZ AS ${ts}`, raw('0::BIGINT AS _row')]);
      await s.run(sql`CREATE OR REPLACE TEMP TABLE entities AS SELECT ${empty} WHERE false`);
      return;
    }
    const dsTs = ident(schema.timestampColumn);
    const filter: Sql = spine.symbols === 'all' || keys.length === 0 ? raw('TRUE') : sql`list_contains(${spine.symbols}, ${ident(keys[0])})`;
    // The dataset's rows SQL is the dataset service's own (checked identifiers, its own dates).
    await s.run(sql`CREATE OR REPLACE TEMP TABLE entities AS
      SELECT ${keyCols}, ${dsTs} AS ${ts}, row_number() OVER (ORDER BY ${keyCols}, ${dsTs}) - 1 AS _row
      FROM (${raw(current)}) WHERE ${filter} ORDER BY _row`);
  }
}
