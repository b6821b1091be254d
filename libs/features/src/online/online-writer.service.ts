import type { FeatureType } from '../definitions/feature-definition';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { DefinitionRepository } from '../registry/definition.repository';
import type { Clock } from '../util/clock';
import { describeValue } from '../util/describe-value';
import { isOlderThan, type OnlineRow, type OnlineStoreDriver } from './online-store.driver';

/** Columns of feature values, Feast's `df` shape: `{"symbol": [...], "event_timestamp": [...], "<feature>": [...]}`. */
export type ColumnFrame = Readonly<Record<string, readonly unknown[]>>;

export interface OnlineWriteResult {
  readonly view: string;
  readonly version: number;
  readonly received: number;
  /** Rows that replaced an older (or no) row; the rest were older than what is stored. */
  readonly written: number;
}

// Where the event time may be: Feast's clients send `event_timestamp`; ours may use the view's own.
const TIMESTAMP_COLUMNS = ['event_timestamp', 'event_ts'];

/**
 * Writes feature values straight into the online store of a view's latest version (Feast's
 * `write_to_online_store` and push of feature rows). Every value is checked against the view's
 * declared types before anything is written, so a bad frame writes nothing; an older event time
 * never replaces a newer one.
 */
export class OnlineWriterService {
  constructor(
    private readonly registry: DefinitionRepository,
    private readonly store: OnlineStoreDriver,
    private readonly clock: Clock,
  ) {}

  /** Writes a frame of feature values (`field` names it in messages) into the view's latest version. */
  async write(viewName: string, frame: ColumnFrame, field = 'df'): Promise<OnlineWriteResult> {
    if (viewName === '') throw new InvalidArgumentError('feature_view_name: the name of a feature view is required', { field: 'feature_view_name' });
    const view = await this.registry.getView(viewName);
    if (!view) throw new UnprocessableError(ErrorCode.UnknownFeature, `feature_view_name: unknown feature view ${viewName}`, { field: 'feature_view_name' });
    const record = (await this.registry.getViewVersion(viewName, view.latest))!;
    const entity = await this.registry.getEntity(record.definition.entity);
    if (!entity) throw new UnprocessableError(ErrorCode.UnknownEntity, `feature_view_name: entity ${record.definition.entity} of ${viewName} does not exist`, { field: 'feature_view_name' });
    const columns = frameColumns(frame, field);
    const length = columns.size === 0 ? 0 : [...columns.values()][0].length;
    if (length === 0) return { view: viewName, version: record.version, received: 0, written: 0 };

    const column = (name: string): readonly unknown[] => {
      const values = columns.get(name);
      if (!values) throw new InvalidArgumentError(`${field}.${name}: the column is missing (${viewName} needs ${[...entity.joinKeys, 'event_timestamp', ...record.definition.features.map((f) => f.name)].join(', ')})`, { field: `${field}.${name}` });
      return values;
    };
    const keys = entity.joinKeys.map((k) => {
      const values = column(k);
      values.forEach((v, j) => {
        if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`${field}.${k}[${j}]: a key must be a non-empty string, got ${describeValue(v)}`, { field: `${field}.${k}[${j}]` });
      });
      return values as readonly string[];
    });
    const tsName = [...TIMESTAMP_COLUMNS, record.definition.timestampColumn].find((c) => columns.has(c)) ?? 'event_timestamp';
    const eventTs = column(tsName).map((v, j) => parseInstant(v, `${field}.${tsName}[${j}]`));
    const created = columns.get('created');
    const now = canonicalIso(this.clock.now().getTime());
    const createdTs = created ? created.map((v, j) => (v === null || v === undefined ? now : parseInstant(v, `${field}.created[${j}]`))) : null;
    // Features absent from the frame are stored as null (as a Feast view that declares fewer
    // fields writes); a column that is none of the view's is a mistake and is refused.
    const known = new Set([...entity.joinKeys, tsName, 'created', ...record.definition.features.map((f) => f.name)]);
    for (const name of columns.keys()) {
      if (!known.has(name)) throw new InvalidArgumentError(`${field}.${name}: ${viewName} has no feature ${name}`, { field: `${field}.${name}` });
    }
    const present = record.definition.features.filter((f) => columns.has(f.name));
    if (present.length === 0) throw new InvalidArgumentError(`${field}: no feature column of ${viewName} (${record.definition.features.map((f) => f.name).join(', ')})`, { field });
    const values = record.definition.features.map((f) => {
      const vs = columns.get(f.name) ?? new Array<unknown>(length).fill(null);
      vs.forEach((v, j) => checkValue(v, f.type, `${field}.${f.name}[${j}]`));
      return [f.name, vs] as const;
    });

    // Several rows of one key in a frame: only the newest can be the online value.
    const newest = new Map<string, OnlineRow>();
    for (let j = 0; j < length; j++) {
      const row: OnlineRow = {
        key: keys.map((k) => k[j]),
        eventTs: eventTs[j],
        createdTs: createdTs ? createdTs[j] : now,
        values: Object.fromEntries(values.map(([name, vs]) => [name, normalise(vs[j])])),
      };
      const id = JSON.stringify(row.key);
      const seen = newest.get(id);
      if (!seen || !isOlderThan(row, seen)) newest.set(id, row);
    }
    const written = await this.store.putLatest(viewName, record.version, [...newest.values()]);
    return { view: viewName, version: record.version, received: length, written };
  }
}

/** The columns of a frame by name, checked to be equally long; 400 naming the first ragged column. */
export function frameColumns(frame: ColumnFrame, field: string): Map<string, readonly unknown[]> {
  const columns = new Map<string, readonly unknown[]>();
  let length = -1;
  for (const [name, values] of Object.entries(frame)) {
    if (length >= 0 && values.length !== length) throw new InvalidArgumentError(`${field}.${name}: ${values.length} values, the other columns have ${length}`, { field: `${field}.${name}` });
    length = values.length;
    columns.set(name, values);
  }
  return columns;
}

/** ISO-8601 text; without a zone it is UTC (as Feast's clients send it). */
function parseInstant(value: unknown, field: string): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value.trim())) {
    let text = value.trim().replace(' ', 'T');
    if (text.length === 10) text += 'T00:00:00';
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
    // JS dates keep milliseconds: drop finer digits rather than fail on them.
    const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
    if (!Number.isNaN(ms)) return canonicalIso(ms);
  }
  throw new InvalidArgumentError(`${field}: ${describeValue(value)} is not an ISO-8601 timestamp (UTC when it has no zone)`, { field });
}

/** ISO-8601 as DuckDB prints it (and materialisation stores it): no fraction when whole seconds. */
function canonicalIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

function checkValue(value: unknown, type: FeatureType, field: string): void {
  if (value === null) return;
  const ok =
    type === 'DOUBLE'
      ? typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity'
      : type === 'BIGINT' || type === 'INTEGER'
        ? typeof value === 'number' && Number.isInteger(value)
        : type === 'BOOLEAN'
          ? typeof value === 'boolean'
          : typeof value === 'string';
  if (!ok) throw new InvalidArgumentError(`${field}: ${describeValue(value)} is not a ${type}`, { field });
}

function normalise(value: unknown): number | boolean | string | null {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return value as number | boolean | string | null;
}
