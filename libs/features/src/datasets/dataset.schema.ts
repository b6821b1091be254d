import { parseCalendarName, type CalendarName } from '../calendar/calendars';
import { InvalidArgumentError, UnprocessableError, ErrorCode } from '../errors/feature-store.error';
import { LEGACY_GRANULARITY, parseGranularity, type PartitionGranularity } from '../lake/partitioning';
import { assertIdentifier } from '../sql/identifier';
import { parseDuration } from '../util/time';

/** Column types a dataset may declare (DuckDB names). */
export const COLUMN_TYPES = ['DOUBLE', 'BIGINT', 'INTEGER', 'VARCHAR', 'BOOLEAN', 'TIMESTAMPTZ', 'DATE'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** A required column must be present and non-null on every row. */
  readonly required?: boolean;
}

/** The shape of a dataset in the lake. `ingested_at` is implicit and always present. */
export interface DatasetSchema {
  readonly name: string;
  readonly keys: readonly string[];
  readonly timestampColumn: string;
  readonly columns: readonly ColumnSpec[];
  /** The trading calendar its bars follow (daily bars dated by session, gaps counted in sessions); absent when none. */
  readonly calendar?: CalendarName;
  /** The time one lake partition holds; absent (datasets declared before it existed) means `day`. */
  readonly partition?: PartitionGranularity;
  /** Opt-in: superseded row versions older than this (e.g. "365d") may be dropped by compaction. */
  readonly retention?: string;
}

/** The dataset's partition granularity (`day` for schemas stored before it was declared). */
export function granularityOf(schema: Pick<DatasetSchema, 'partition'>): PartitionGranularity {
  return schema.partition ?? LEGACY_GRANULARITY;
}

export const INGESTED_AT = 'ingested_at';
export const BAR_PRICE_COLUMNS = ['open', 'high', 'low', 'close'] as const;

/** The standard OHLCV bar layout: `ts` is the bar's close time (when it became known). */
export function barSchema(name: string): DatasetSchema {
  return {
    name,
    keys: ['symbol'],
    timestampColumn: 'ts',
    columns: [
      { name: 'symbol', type: 'VARCHAR', required: true },
      { name: 'ts', type: 'TIMESTAMPTZ', required: true },
      { name: 'open', type: 'DOUBLE', required: true },
      { name: 'high', type: 'DOUBLE', required: true },
      { name: 'low', type: 'DOUBLE', required: true },
      { name: 'close', type: 'DOUBLE', required: true },
      { name: 'volume', type: 'DOUBLE', required: true },
      { name: 'adj_close', type: 'DOUBLE' },
    ],
  };
}

/** True when the dataset carries OHLC prices, so the bar sanity rules apply to its rows. */
export function isBarSchema(schema: DatasetSchema): boolean {
  const names = new Set(schema.columns.map((c) => c.name));
  return BAR_PRICE_COLUMNS.every((c) => names.has(c));
}

/** A dataset declaration (PUT /v1/datasets/{name}): keys and timestamp default to `symbol` and `ts`. */
export interface DatasetDeclaration {
  readonly keys?: readonly string[];
  readonly timestampColumn?: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string; readonly required?: boolean }>;
  /** A trading calendar: XNYS, XNAS or 24/7. */
  readonly calendar?: string;
  /** Lake partition granularity: day, month or year (default: month with a calendar, else day). */
  readonly partition?: string;
  /** Opt-in retention of superseded row versions, a duration such as "365d". */
  readonly retention?: string;
}

/** Checks a declared schema (names, types, keys and timestamp among the columns). */
export function validateSchema(name: string, input: DatasetDeclaration): DatasetSchema {
  assertIdentifier(name, 'name');
  if (input.columns.length === 0) {
    throw new InvalidArgumentError('columns must be a non-empty array of {name, type}', { field: 'columns' });
  }
  const seen = new Set<string>();
  const columns: ColumnSpec[] = input.columns.map((c, i) => {
    assertIdentifier(c.name, `columns[${i}].name`);
    const type = normaliseType(c.type, `columns[${i}].type`);
    if (c.name === INGESTED_AT) {
      throw new InvalidArgumentError(`columns[${i}].name: ${INGESTED_AT} is reserved`, { field: `columns[${i}].name` });
    }
    if (seen.has(c.name)) throw new InvalidArgumentError(`columns[${i}].name: duplicate column ${c.name}`, { field: `columns[${i}].name` });
    seen.add(c.name);
    return { name: c.name, type, required: c.required === true };
  });
  const keys = input.keys ?? ['symbol'];
  if (keys.length === 0) {
    throw new InvalidArgumentError('keys must be a non-empty array of column names', { field: 'keys' });
  }
  keys.forEach((k, i) => {
    assertIdentifier(k, `keys[${i}]`);
    if (!seen.has(k)) throw new InvalidArgumentError(`keys[${i}]: ${k} is not among the columns`, { field: `keys[${i}]` });
  });
  const ts = input.timestampColumn ?? 'ts';
  assertIdentifier(ts, 'timestampColumn');
  const tsSpec = columns.find((c) => c.name === ts);
  if (!tsSpec) throw new InvalidArgumentError(`timestampColumn: ${ts} is not among the columns`, { field: 'timestampColumn' });
  if (tsSpec.type !== 'TIMESTAMPTZ' && tsSpec.type !== 'DATE') {
    throw new InvalidArgumentError(`timestampColumn: ${ts} must be TIMESTAMPTZ or DATE`, { field: 'timestampColumn' });
  }
  const required = new Set<string>([...keys, ts]);
  // Without a calendar the key stays absent, so schemas declared before calendars compare equal.
  const calendar = input.calendar === undefined ? {} : { calendar: parseCalendarName(input.calendar) };
  // Absent stays absent (DatasetService.declare fills the default for a new dataset only), so a
  // re-declaration written before these fields existed still equals its stored schema.
  const partition = input.partition === undefined ? {} : { partition: parseGranularity(input.partition, 'partition') };
  const retention = input.retention === undefined ? {} : { retention: parseDuration(input.retention, 'retention').text };
  return {
    name,
    keys: [...keys],
    timestampColumn: ts,
    columns: columns.map((c) => (required.has(c.name) ? { ...c, type: c.name === ts ? 'TIMESTAMPTZ' : c.type, required: true } : c)),
    ...calendar,
    ...partition,
    ...retention,
  };
}

const TYPE_ALIASES: Record<string, ColumnType> = {
  DOUBLE: 'DOUBLE', FLOAT: 'DOUBLE', FLOAT8: 'DOUBLE', REAL: 'DOUBLE', NUMERIC: 'DOUBLE', DECIMAL: 'DOUBLE',
  BIGINT: 'BIGINT', INT8: 'BIGINT', LONG: 'BIGINT', INTEGER: 'INTEGER', INT: 'INTEGER', INT4: 'INTEGER',
  VARCHAR: 'VARCHAR', STRING: 'VARCHAR', TEXT: 'VARCHAR', BOOLEAN: 'BOOLEAN', BOOL: 'BOOLEAN',
  TIMESTAMPTZ: 'TIMESTAMPTZ', TIMESTAMP: 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ', DATE: 'DATE',
};

function normaliseType(type: string, field: string): ColumnType {
  const mapped = TYPE_ALIASES[type.trim().toUpperCase()];
  if (!mapped) {
    throw new InvalidArgumentError(`${field} must be one of ${COLUMN_TYPES.join(', ')}, got ${JSON.stringify(type)}`, { field });
  }
  return mapped;
}

type Family = 'number' | 'string' | 'boolean' | 'time';

/** The type family of a DuckDB type name as DESCRIBE prints it. */
export function typeFamily(duckType: string): Family {
  const t = duckType.toUpperCase();
  if (t === 'VARCHAR' || t === 'JSON' || t.startsWith('VARCHAR') || t === 'BLOB') return 'string';
  if (t === 'BOOLEAN') return 'boolean';
  if (t.startsWith('TIMESTAMP') || t === 'DATE' || t.startsWith('TIME')) return 'time';
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DOUBLE|FLOAT|REAL|DECIMAL.*)$/.test(t)) return 'number';
  return 'string';
}

/**
 * Throws SCHEMA_MISMATCH when a source column's type cannot hold the declared type's values at all
 * (text can always be tried row by row; a boolean column where prices belong cannot).
 */
export function assertCompatible(column: ColumnSpec, sourceType: string, sourceName: string): void {
  const from = typeFamily(sourceType);
  const to = typeFamily(column.type);
  const ok = from === to || from === 'string' || to === 'string' || (to === 'time' && from === 'number');
  if (!ok) {
    throw new UnprocessableError(
      ErrorCode.SchemaMismatch,
      `column ${column.name}: the batch has ${sourceType} (from ${sourceName}) where the dataset declares ${column.type}`,
      { field: column.name, declared: column.type, found: sourceType },
    );
  }
}

/** Infers a dataset schema from the first batch pushed to an unknown name (keys symbol, timestamp ts). */
export function inferSchema(name: string, source: ReadonlyArray<{ name: string; type: string }>): DatasetSchema {
  const names = new Set(source.map((c) => c.name));
  for (const needed of ['symbol', 'ts']) {
    if (!names.has(needed)) {
      throw new UnprocessableError(ErrorCode.MissingColumn, `${needed}: required to create dataset ${name} from its first batch`, {
        field: needed,
      });
    }
  }
  const bars = barSchema(name);
  const columns: ColumnSpec[] = source
    .filter((c) => c.name !== INGESTED_AT)
    .map((c) => {
      assertIdentifier(c.name, `column ${JSON.stringify(c.name)}`);
      const standard = bars.columns.find((b) => b.name === c.name);
      if (standard) return standard;
      const family = typeFamily(c.type);
      const type: ColumnType = family === 'number' ? (/INT/i.test(c.type) ? 'BIGINT' : 'DOUBLE') : family === 'boolean' ? 'BOOLEAN' : family === 'time' ? 'TIMESTAMPTZ' : 'VARCHAR';
      return { name: c.name, type };
    });
  return { name, keys: ['symbol'], timestampColumn: 'ts', columns };
}
