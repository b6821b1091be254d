import type { FeatureSelection } from '../definitions/feature-ref.resolver';
import type { PointInTimeMode } from './point-in-time.sql';

/** A value of an entity row as JSON gives it (labels may be any JSON value; keys and times are text or numbers). */
export type EntityValue = string | number | boolean | null | readonly EntityValue[] | { readonly [key: string]: EntityValue };

/** One entity row: join keys, the timestamp column and any extra columns (labels), passed through. */
export type EntityRow = Readonly<Record<string, EntityValue>>;

/** File formats an entity frame can be read from (Arrow IPC arrives converted to NDJSON). */
export type EntityFrameFormat = 'csv' | 'parquet' | 'ndjson';

/** Where the entity rows of a training set come from. */
export type EntitySource =
  /** Rows given one by one (a JSON body). */
  | { readonly kind: 'rows'; readonly rows: readonly EntityRow[] }
  /**
   * A whole frame as file bytes (a CSV, Parquet or Arrow body), read by DuckDB. `columnTypes`
   * (DuckDB types by column) is given when the body declared its types (Arrow converted to
   * NDJSON): JSON alone would turn a double 1.0 into an integer and guess dates from text.
   */
  | { readonly kind: 'frame'; readonly bytes: Buffer; readonly format: EntityFrameFormat; readonly columnTypes?: Readonly<Record<string, string>> }
  /** Every bar of the chosen symbols of a dataset in [start, end]. */
  | { readonly kind: 'dataset'; readonly dataset: string; readonly symbols: readonly string[] | 'all'; readonly start: Date | null; readonly end: Date | null };

/** Everything a historical retrieval needs, validated by the caller (the API's schemas). */
export interface CreateTrainingSetCommand {
  readonly features: FeatureSelection;
  readonly entities: EntitySource;
  readonly pointInTime: PointInTimeMode;
  /** The entity frame's timestamp column (an identifier). */
  readonly timestampColumn: string;
  /** A run to link the new set to, or null. */
  readonly runId: string | null;
  /** Label references (`view[@N]:label` of label views) joined to the decision bar of each row; absent: none. */
  readonly labels?: readonly string[];
  /**
   * The vintage: only offline rows with created_ts at or before it are used (both modes; knowledge
   * mode also keeps created_ts <= t per row). Absent or null: everything known when the set is made.
   */
  readonly knownAt?: Date | null;
}
