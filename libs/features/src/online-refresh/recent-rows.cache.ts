import type { DatasetService } from '../datasets/dataset.service';
import { INGESTED_AT, type DatasetSchema } from '../datasets/dataset.schema';
import type { DuckDbSession } from '../duckdb/duckdb.client';
import type { LakeRepository } from '../lake/lake.repository';
import { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import { fileListLiteral, ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { SANE_TIME_RANGE } from '../util/time';
import { instrumentFilter } from './instrument-filter';

/**
 * The recent rows of one dataset for repeated online refreshes (the stream worker): every stored
 * version of the rows of the keys asked for, from a time on, in a table (`_cache`) of a sandbox
 * that lives as long as the cache, so a refresh does not read the lake's files each time (one
 * file per day and batch: opening hundreds of them took most of a refresh).
 *
 * It stays equal to what a lake read of those keys over that window gives: before each use, the
 * files of the batches recorded since the last use (by the registry's batch sequence, whoever
 * wrote them) are appended, keys seen for the first time are read from the lake, and so is the
 * stretch before the window held when an earlier one is asked for. A row that arrives both ways
 * is held twice, which changes nothing (readers take one row per version).
 */
export class RecentRowsCache {
  private sandbox: FeatureSqlSandbox | null = null;
  /** Rows before this time are not held (null: the whole history). */
  private from: Date | null = null;
  private empty = true;
  /** Batches up to this seq are in the table, for the loaded keys. */
  private seq = 0;
  private readonly keys = new Set<string>();

  constructor(
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetService,
    private readonly schema: DatasetSchema,
    private readonly engine: { threads?: number; memoryLimit?: string } = {},
  ) {}

  /**
   * Brings `_cache` up to date for `keys` from `from` on (null: the whole history) and returns the
   * sandbox that holds it. Keys loaded before stay (their rows keep arriving with new batches).
   */
  async prepare(keys: readonly string[], from: Date | null): Promise<FeatureSqlSandbox> {
    const sandbox = await this.open();
    const s = sandbox.session;
    const ts = ident(this.schema.timestampColumn);
    // Held from a little before the window asked for, so that a batch of slightly older bars
    // (a late one) does not send the cache back to the lake.
    const wanted = from === null ? null : new Date(from.getTime() - SLACK_MS);
    if (!this.empty && (wanted === null ? this.from !== null : this.from !== null && from! < this.from)) {
      // A window that starts earlier than what is held (a view with a longer lookback, an old
      // bar corrected): the held keys' rows of the stretch before it are read from the lake,
      // the rest stays (the rows at its start arrive twice: harmless).
      if (this.keys.size > 0) {
        const older = await this.datasets.allRowsSql(this.schema, { from: wanted ?? undefined, to: this.from! });
        if (older) await s.run(sql`INSERT INTO _cache SELECT ${this.columns()} FROM (${raw(older)}) WHERE ${await this.heldKeys(s, [...this.keys])}`);
      }
      this.from = wanted;
    } else if (this.empty) {
      this.from = wanted;
    } else if (wanted !== null && this.from !== null && wanted.getTime() - this.from.getTime() > SLACK_MS) {
      // The window moved on: rows older than it are dropped (the table stays small).
      await s.run(sql`DELETE FROM _cache WHERE ${ts} < ${wanted}`);
      this.from = wanted;
    }
    this.empty = false;
    const held = this.from === null ? sql`TRUE` : sql`${ts} >= ${this.from}`;

    if (this.keys.size === 0) {
      this.seq = await this.datasets.lastBatchSeq(this.schema.name);
    } else {
      // Batches recorded since the last use, for the keys already held.
      const { files, lastSeq } = await this.datasets.batchFilesAfter(this.schema.name, this.seq);
      if (files.length > 0) {
        await s.run(sql`INSERT INTO _cache SELECT ${this.columns()} FROM read_parquet(${fileListLiteral(files)}) WHERE ${held} AND ${await this.heldKeys(s, [...this.keys])}`);
      }
      this.seq = lastSeq;
    }

    // Keys seen for the first time: their rows from the lake (batches recorded from here on are
    // appended by the next use, possibly a second time: harmless).
    const missing = [...new Set(keys)].filter((k) => !this.keys.has(k));
    if (missing.length > 0) {
      const all = await this.datasets.allRowsSql(this.schema, this.from === null ? undefined : { from: this.from, to: new Date(SANE_TIME_RANGE.maxMs) });
      if (all) await s.run(sql`INSERT INTO _cache SELECT ${this.columns()} FROM (${raw(all)}) WHERE ${await this.heldKeys(s, missing)}`);
      for (const k of missing) this.keys.add(k);
    }
    return sandbox;
  }

  close(): void {
    this.sandbox?.close();
    this.sandbox = null;
    this.empty = true;
    this.keys.clear();
  }

  private async open(): Promise<FeatureSqlSandbox> {
    if (this.sandbox) return this.sandbox;
    const sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(this.schema.name)], writable: [] }, this.engine);
    // Column types come from the dataset schema's enum of DuckDB type names.
    const columns = [...this.schema.columns.map((c) => sql`${ident(c.name)} ${raw(c.type)}`), sql`${ident(INGESTED_AT)} TIMESTAMPTZ`];
    await sandbox.session.run(sql`CREATE TEMP TABLE _cache (${joinSql(columns)})`);
    this.sandbox = sandbox;
    return sandbox;
  }

  private columns(): Sql {
    return joinSql([...this.schema.columns.map((c) => ident(c.name)), ident(INGESTED_AT)]);
  }

  // Rows of these instruments (the dataset's first key).
  private heldKeys(session: DuckDbSession, values: readonly string[]): Promise<Sql> {
    return instrumentFilter(session, this.schema, values, 'recent_rows_keys');
  }
}

const SLACK_MS = 7 * 86_400_000;
