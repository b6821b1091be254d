import { AVAILABLE_AT } from '../definitions/feature-definition';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import { InvalidArgumentError } from '../errors/feature-store.error';
import { quoteSourceColumn } from '../sql/identifier';
import { fileLiteral, joinSql, raw, sql } from '../sql/sql';
import type { CreateTrainingSetCommand } from './training-set.command';
import type { TrainingSet, TrainingSetService } from './training-set.service';

/** How one feature column differs between two vintages of a training set. */
export interface ColumnDiff {
  readonly column: string;
  /** Rows whose value differs (null and a value count as different). */
  readonly changed: number;
  /** The first few such rows: position, entity columns, value before and after. */
  readonly examples: ReadonlyArray<{ readonly row: number; readonly entity: Readonly<Record<string, unknown>>; readonly before: unknown; readonly after: unknown }>;
}

/** A training set compared with the same set at a later vintage. */
export interface TrainingSetDiff {
  readonly trainingSetId: string;
  readonly knownAt: string;
  /** The set re-created at the later vintage (stored like any set). */
  readonly against: { readonly trainingSetId: string; readonly knownAt: string; readonly digest: string };
  readonly rowCount: number;
  readonly columns: readonly ColumnDiff[];
}

const EXAMPLES = 5;

/**
 * Vintages of stored training sets: re-creation from the lake and the offline store with the
 * same entity rows, resolved versions, mode and knownAt (so the same digest, whatever was ingested
 * or materialised since: rows created later are not used), and the difference to a later vintage.
 */
export class TrainingSetVintageService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly trainingSets: Pick<TrainingSetService, 'create' | 'manifest'>,
    private readonly tmpDir: string,
  ) {}

  /** Computes a stored set again as of its knownAt (or `options.knownAt`), linked to `options.runId` if given; 404 when unknown. */
  async recreate(id: string, options: { readonly knownAt?: Date; readonly runId?: string | null } = {}): Promise<TrainingSet> {
    const { knownAt, runId = null } = options;
    const original = await this.trainingSets.manifest(id);
    const featureColumns = await this.featureColumns(original);
    const entityColumns = original.columns.filter((c) => !featureColumns.includes(c));
    // The entity rows exactly as the set stored them, in its order, as a Parquet frame.
    await mkdir(this.tmpDir, { recursive: true });
    const frame = join(this.tmpDir, `recreate-${randomBytes(8).toString('hex')}.parquet`);
    try {
      await this.db.withSession((s) =>
        s.run(sql`COPY (SELECT ${joinSql(entityColumns.map((c) => raw(quoteSourceColumn(c))))} FROM read_parquet(${fileLiteral(original.file)}, file_row_number = true) ORDER BY file_row_number)
          TO ${fileLiteral(frame)} (FORMAT parquet)`),
      );
      const command: CreateTrainingSetCommand = {
        features: { features: original.features.map((f) => `${f.view}@${f.version}:${f.feature}`) },
        ...(original.labels?.length ? { labels: original.labels.map((l) => `${l.view}@${l.version}:${l.label}`) } : {}),
        entities: { kind: 'frame', bytes: await readFile(frame), format: 'parquet' },
        pointInTime: original.pointInTime,
        timestampColumn: original.timestampColumn,
        runId,
        knownAt: knownAt ?? new Date(original.knownAt ?? original.createdAt),
      };
      return await this.trainingSets.create(command);
    } finally {
      await rm(frame, { force: true });
    }
  }

  /** The set against itself re-created as of `later`: per feature column, how many values changed, with examples. */
  async diff(id: string, later: Date): Promise<TrainingSetDiff> {
    const original = await this.trainingSets.manifest(id);
    const knownAt = original.knownAt ?? original.createdAt;
    if (later.getTime() < Date.parse(knownAt)) throw new InvalidArgumentError(`knownAt: must not be before the set's knownAt ${knownAt}`, { field: 'knownAt' });
    const next = await this.recreate(id, { knownAt: later });
    const featureColumns = await this.featureColumns(original);
    const entityColumns = original.columns.filter((c) => !featureColumns.includes(c));
    const columns = await this.db.withSession(async (s) => {
      const read = (file: string) => sql`read_parquet(${fileLiteral(file)}, file_row_number = true)`;
      await s.run(sql`CREATE OR REPLACE TEMP TABLE _diff AS SELECT a.*, ${joinSql(featureColumns.map((c) => sql`b.${raw(quoteSourceColumn(c))} AS ${raw(quoteSourceColumn(`_after_${c}`))}`))}
        FROM ${read(original.file)} AS a JOIN ${read(next.file)} AS b USING (file_row_number)`);
      const out: ColumnDiff[] = [];
      for (const c of featureColumns) {
        const before = raw(quoteSourceColumn(c));
        const after = raw(quoteSourceColumn(`_after_${c}`));
        const differs = sql`${before} IS DISTINCT FROM ${after}`;
        const n = await s.one<{ n: number | bigint }>(sql`SELECT count(*) AS n FROM _diff WHERE ${differs}`);
        const rows = await s.all(sql`SELECT file_row_number AS _pos, ${joinSql(entityColumns.map((e) => raw(quoteSourceColumn(e))))}, ${before} AS _before, ${after} AS _after
          FROM _diff WHERE ${differs} ORDER BY file_row_number LIMIT ${raw(String(EXAMPLES))}`);
        out.push({
          column: c,
          changed: Number(n?.n ?? 0),
          examples: rows.map((r) => ({ row: Number(r._pos), entity: Object.fromEntries(entityColumns.map((e) => [e, r[e]])), before: r._before, after: r._after })),
        });
      }
      return out;
    });
    return { trainingSetId: id, knownAt, against: { trainingSetId: next.id, knownAt: next.knownAt!, digest: next.digest }, rowCount: original.rowCount, columns };
  }

  // The output columns of the set's features and labels (with each label view's available_at),
  // as the manifest's column list names them: the rest are the entity rows' own columns.
  private async featureColumns(set: TrainingSet): Promise<string[]> {
    const plain = set.features.map((f) => `${f.view}__${f.feature}`);
    const pinned = set.features.map((f) => `${f.view}@${f.version}__${f.feature}`);
    const labels = (set.labels ?? []).flatMap((l) => [`${l.view}__${l.label}`, `${l.view}__${AVAILABLE_AT}`]);
    return set.columns.filter((c) => plain.includes(c) || pinned.includes(c) || labels.includes(c));
  }
}
