import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import type { TrainingSetColumn } from '../lineage/mlflow-dataset';
import { NotFoundError } from '../errors/feature-store.error';
import type { TrainingSetManifest, TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import { fileLiteral, sql } from '../sql/sql';
import type { ColumnStats } from './column-stats';
import { exactProfile } from './stats.sql';

/** The profile of a training set, column by column (the issue 17 contract). */
export interface TrainingSetStats {
  readonly trainingSetId: string;
  readonly rows: number;
  readonly columns: ColumnStats[];
}

/**
 * The profile of each training set: computed once, exactly, from its Parquet file when the set
 * is created, and stored beside it as `<id>.stats.json` (a set is immutable, so it never goes
 * stale). Sets created before profiles existed get theirs on the first request.
 */
export class TrainingSetStatsService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly manifests: Pick<TrainingSetManifestRepository, 'getTrainingSet'>,
  ) {}

  /** The stored profile of a training set (computed and stored first when missing); 404 for an unknown set. */
  async get(id: string): Promise<TrainingSetStats> {
    const manifest = await this.manifests.getTrainingSet(id);
    if (!manifest) throw new NotFoundError(`training set ${id} does not exist`, { field: 'id' });
    return this.ofManifest(manifest);
  }

  /** The profile of the set `manifest` describes, computed and stored when missing. */
  async ofManifest(manifest: Pick<TrainingSetManifest, 'id' | 'file'>): Promise<TrainingSetStats> {
    const path = statsPath(manifest);
    if (existsSync(path)) {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as TrainingSetStats;
      } catch {
        // an unreadable profile is computed again
      }
    }
    const stats = await this.compute(manifest);
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, JSON.stringify(stats));
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return stats;
  }

  /**
   * Computes and stores the profile of a new set. A failure never fails the creation: the
   * profile is computed on the first request instead.
   */
  async record(manifest: Pick<TrainingSetManifest, 'id' | 'file'>): Promise<void> {
    await this.ofManifest(manifest).catch(() => undefined);
  }

  /**
   * `reader`'s column types with each column's profile attached (for the MLflow dataset
   * profile); without profiles when it cannot be computed (the link is still delivered).
   */
  withProfiles(reader: { columnTypes(set: { readonly file: string }): Promise<TrainingSetColumn[]> }): { columnTypes(set: Pick<TrainingSetManifest, 'id' | 'file'>): Promise<TrainingSetColumn[]> } {
    return {
      columnTypes: async (set) => {
        const columns = await reader.columnTypes(set);
        const stats = await this.ofManifest(set).catch(() => null);
        return columns.map((c) => ({ ...c, stats: stats?.columns.find((s) => s.name === c.name) ?? null }));
      },
    };
  }

  private async compute(manifest: Pick<TrainingSetManifest, 'id' | 'file'>): Promise<TrainingSetStats> {
    return this.db.withSession(async (s) => {
      const file = sql`read_parquet(${fileLiteral(manifest.file)})`;
      const described = await s.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM ${file}`);
      const profile = await exactProfile(s, sql`SELECT * FROM ${file}`, described.map((c) => ({ name: c.column_name, type: c.column_type })));
      return { trainingSetId: manifest.id, rows: profile.rows, columns: profile.columns };
    });
  }
}

/** Where the profile of a set is stored: beside its Parquet file. */
export function statsPath(manifest: Pick<TrainingSetManifest, 'id' | 'file'>): string {
  return join(dirname(manifest.file), `${manifest.id}.stats.json`);
}
