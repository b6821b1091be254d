import type { CalendarName } from '../calendar/calendars';
/** Types a feature may declare (DuckDB names). */
export const FEATURE_TYPES = ['DOUBLE', 'BIGINT', 'INTEGER', 'BOOLEAN', 'VARCHAR'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

/** What features describe, with the columns that identify it. */
export interface EntityDefinition {
  readonly name: string;
  readonly joinKeys: readonly string[];
  readonly description?: string;
}

/** `feature` (the default) may only look back; `label` may look ahead (`lead`) and is never served online. */
export const FEATURE_VIEW_KINDS = ['feature', 'label'] as const;
export type FeatureViewKind = (typeof FEATURE_VIEW_KINDS)[number];

/** The column a label view's SQL yields besides its labels: when the row's labels became known. */
export const AVAILABLE_AT = 'available_at';

/**
 * The column the store adds to a label view's offline rows: when the row's label values became
 * known to the store, i.e. the newest `ingested_at` among the source rows from the lookback before
 * its event time up to its available_at (up to the key's newest bar while available_at is null).
 * `created_ts` says when the decision bar itself became known.
 */
export const LABEL_CREATED_TS = 'label_created_ts';

export interface FeatureSpec {
  readonly name: string;
  readonly type: FeatureType;
  readonly description?: string;
}

/**
 * A named DuckDB SELECT over one dataset (read as `source`) that yields the entity's join keys,
 * the event timestamp and typed feature columns.
 */
export interface FeatureViewDefinition {
  readonly name: string;
  readonly entity: string;
  readonly source: string;
  readonly timestampColumn: string;
  /** How long a value stays valid, e.g. "36h", "7d" or "2 sessions" (until the 2nd session close after it); null: forever. */
  readonly ttl: string | null;
  readonly sql: string;
  readonly features: readonly FeatureSpec[];
  /**
   * `label`: the SQL may look ahead and also yields `available_at` (when the row's labels became
   * known); absent means `feature` (and keeps the digests views had before kinds existed).
   */
  readonly kind?: FeatureViewKind;
  /** History the SQL's windows need before a range, e.g. "60d" or "20 sessions", for incremental materialisation. */
  readonly lookback: string | null;
  /**
   * The trading calendar a TTL or lookback in sessions ("2 sessions") counts in; filled in from
   * the source dataset's calendar at registration when the view names none. Absent otherwise.
   */
  readonly calendar?: CalendarName;
  /** Keep online values fresh from the stream. */
  readonly stream: boolean;
  readonly description: string;
  readonly owner: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A named list of feature references a model asks for by one name. */
export interface FeatureServiceDefinition {
  readonly name: string;
  readonly features: readonly string[];
  readonly description: string;
  readonly owner: string;
  readonly tags: Readonly<Record<string, string>>;
}

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** Declares an entity in code. */
export function defineEntity(entity: EntityDefinition): EntityDefinition {
  return entity;
}

/** Declares a feature view in code; omitted metadata takes its defaults. */
export function defineFeatureView(
  view: Optional<FeatureViewDefinition, 'timestampColumn' | 'ttl' | 'lookback' | 'stream' | 'description' | 'owner' | 'tags'>,
): FeatureViewDefinition {
  return {
    timestampColumn: 'ts',
    ttl: null,
    lookback: null,
    stream: false,
    description: '',
    owner: '',
    tags: {},
    ...view,
  };
}

/** Declares a feature service in code. */
export function defineFeatureService(service: Optional<FeatureServiceDefinition, 'description' | 'owner' | 'tags'>): FeatureServiceDefinition {
  return { description: '', owner: '', tags: {}, ...service };
}
