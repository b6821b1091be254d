import { Bool, Float64, Int64, TimestampMillisecond } from 'apache-arrow';
import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import type { ColumnStats } from '../stats/column-stats';
import { arrowType } from '../training/arrow-columns';

/** A stored column of a training set with its DuckDB type (as DESCRIBE names it) and, when known, its profile. */
export interface TrainingSetColumn {
  readonly name: string;
  readonly type: string;
  readonly stats?: ColumnStats | null;
}

/**
 * Longest profile sent. MLflow 3 stores up to 16 MB − 1 characters (MAX_DATASET_PROFILE_SIZE),
 * MLflow 2 servers refuse more than 16 384: the column profiles are cut to fit the smaller.
 */
export const MLFLOW_PROFILE_LENGTH = 16_000;

/** The type names of MLflow's column specs (`mlflow.types.DataType`) that a training set's columns take. */
export type MlflowColumnType = 'double' | 'long' | 'boolean' | 'datetime' | 'string';

/** A dataset as MLflow's REST API takes and answers it (`mlflow.entities.Dataset`). */
export interface MlflowDataset {
  readonly name: string;
  readonly digest: string;
  readonly source_type: string;
  readonly source: string;
  readonly schema?: string;
  readonly profile?: string;
}

/** MLflow caps a dataset digest at 36 characters. */
export const MLFLOW_DIGEST_LENGTH = 36;

/**
 * The MLflow type of a column of DuckDB type `duckType`: the type the column has in the set's
 * Arrow answer (arrowType), so the schema in MLflow describes the data a client downloads.
 */
export function mlflowColumnType(duckType: string): MlflowColumnType {
  const t = arrowType(duckType);
  if (t instanceof Float64) return 'double';
  if (t instanceof Int64) return 'long';
  if (t instanceof Bool) return 'boolean';
  if (t instanceof TimestampMillisecond) return 'datetime';
  return 'string';
}

/** The URL a training set's rows are read from (`GET /v1/training-sets/{id}/data`). */
export function trainingSetDataUrl(baseUrl: string, trainingSetId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/training-sets/${encodeURIComponent(trainingSetId)}/data`;
}

/**
 * A training set as an MLflow dataset: an HTTP source (`source_type` "http", `{"url"}` as
 * `mlflow.data.get_source()` parses it, plus the full digests MLflow's 36 characters cut), the
 * column types as an `mlflow_colspec` schema (the form MLflow's own datasets log) and a profile.
 */
export function mlflowDataset(manifest: TrainingSetManifest, columns: readonly TrainingSetColumn[], baseUrl: string): MlflowDataset {
  return {
    name: `training-set-${manifest.id}`,
    digest: manifest.digest.slice(0, MLFLOW_DIGEST_LENGTH),
    source_type: 'http',
    source: JSON.stringify({ url: trainingSetDataUrl(baseUrl, manifest.id), digest: manifest.digest, entityDigest: manifest.entityDigest }),
    schema: JSON.stringify({ mlflow_colspec: columns.map((c) => ({ type: mlflowColumnType(c.type), name: c.name })) }),
    profile: boundedProfile(
      {
        num_rows: manifest.rowCount,
        features: manifest.features.map((f) => `${f.view}@${f.version}:${f.feature}`),
        point_in_time: manifest.pointInTime,
      },
      columns,
    ),
  };
}

// The profile with each column's statistics (GET /v1/training-sets/{id}/stats has them whole:
// here without histograms, five values at most), as many columns as fit MLFLOW_PROFILE_LENGTH.
function boundedProfile(head: Record<string, unknown>, columns: readonly TrainingSetColumn[]): string {
  const profiled = columns.filter((c) => c.stats);
  const compact = profiled.map(({ stats: s }) => ({
    name: s!.name,
    count: s!.count,
    nulls: s!.nulls,
    ...(s!.mean !== null ? { mean: s!.mean, std: s!.std } : {}),
    ...(s!.min !== null ? { min: s!.min, max: s!.max } : {}),
    ...(s!.quantiles ? { quantiles: s!.quantiles } : {}),
    ...(s!.values ? { values: s!.values.slice(0, 5) } : {}),
  }));
  let kept = compact.length;
  let text = JSON.stringify(kept ? { ...head, columns: compact } : head);
  while (text.length > MLFLOW_PROFILE_LENGTH && kept > 0) {
    kept--;
    text = JSON.stringify({ ...head, columns: compact.slice(0, kept), columns_left_out: compact.length - kept });
  }
  return text;
}
