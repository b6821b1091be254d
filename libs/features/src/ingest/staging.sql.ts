import { INGESTED_AT, isBarSchema, typeFamily, type ColumnSpec, type DatasetSchema } from '../datasets/dataset.schema';
import { quoteIdent, quoteLiteral, quoteSourceColumn } from '../sql/identifier';
import type { BarTiming } from './bar-timing';
import type { ColumnOrigin, ResolvedMapping, SourceColumn } from './column-mapping';

/**
 * Generates the one SELECT that turns raw source rows into typed dataset rows plus an `_error`
 * column (NULL for a good row, else every reason joined by "; ") and `_raw` (the original
 * values as JSON, for bad rows only). All validation of a batch lives here.
 */
export function stagingSelect(
  schema: DatasetSchema,
  mapping: ResolvedMapping,
  timing: BarTiming,
  batchTime: Date,
  reader: string,
  sourceColumns: readonly SourceColumn[],
): string {
  // Level 1 renames source columns to _s0.._sN; level 2 types them once; level 3 checks the typed values.
  const alias = new Map(sourceColumns.map((c, i) => [c.name, `_s${i}`]));
  const ref = (c: SourceColumn): string => alias.get(c.name) ?? quoteSourceColumn(c.name);
  const typed: string[] = [];
  const checks: Check[] = [];
  for (const { spec, origin } of mapping.columns) {
    const name = quoteIdent(spec.name);
    typed.push(`${valueExpr(spec, origin, spec.name === schema.timestampColumn ? timing : undefined, ref)} AS ${name}`);
    checks.push(...columnChecks(spec, origin, name, ref));
  }
  const batchLiteral = `TIMESTAMPTZ ${quoteLiteral(batchTime.toISOString())}`;
  if (mapping.ingestedAt) {
    const src = ref(mapping.ingestedAt);
    typed.push(`${parseTimestamp(src, mapping.ingestedAt.type)} AS _ingested_at`);
    checks.push(check(`${src} IS NOT NULL AND _ingested_at IS NULL`, `${quoteLiteral(`${INGESTED_AT}: cannot parse `)} || ${rawText(src)} || ' as a UTC timestamp'`));
  } else {
    typed.push(`NULL::TIMESTAMPTZ AS _ingested_at`);
  }
  if (isBarSchema(schema)) checks.push(...barChecks(mapping));
  const names = mapping.columns.map((c) => quoteIdent(c.spec.name));
  const renamed = sourceColumns.map((c) => `${quoteSourceColumn(c.name)} AS ${ref(c)}`);
  const raw = `to_json({${sourceColumns.map((c) => `${quoteLiteral(c.name)}: ${ref(c)}`).join(', ')}})::VARCHAR`;
  return `SELECT ${names.join(', ')}, COALESCE(_ingested_at, ${batchLiteral}) AS ${INGESTED_AT}, _error,
       CASE WHEN _error IS NOT NULL THEN ${raw} END AS _raw
FROM (SELECT *, CASE WHEN ${checks.map((c) => `(${c.when}) IS TRUE`).join(' OR ')}
      THEN NULLIF(concat_ws('; ', ${checks.map((c) => `CASE WHEN ${c.when} THEN ${c.message} END`).join(',\n        ')}), '') END AS _error
  FROM (SELECT ${[...typed, ...sourceColumns.map(ref)].join(',\n    ')}
    FROM (SELECT ${renamed.join(', ')} FROM ${reader})))`;
}

/** The typed columns a staged table hands on to the lake, in schema order, with ingested_at last. */
export function lakeColumns(schema: DatasetSchema): string[] {
  return [...schema.columns.map((c) => quoteIdent(c.name)), INGESTED_AT];
}

type SourceRef = (column: SourceColumn) => string;

/** One row rule: a condition that makes the row bad, and the SQL text of its message. */
interface Check {
  readonly when: string;
  readonly message: string;
}

function check(when: string, message: string): Check {
  return { when, message };
}

function valueExpr(spec: ColumnSpec, origin: ColumnOrigin, timing: BarTiming | undefined, ref: SourceRef): string {
  if ('absent' in origin) return `NULL::${spec.type}`;
  if ('constant' in origin) return `CAST(${quoteLiteral(origin.constant)} AS ${spec.type})`;
  const src = ref(origin.source);
  if (spec.type === 'TIMESTAMPTZ') {
    const parsed = parseTimestamp(src, origin.source.type);
    return timing ? shiftToClose(parsed, timing) : parsed;
  }
  if (typeFamily(origin.source.type) === typeFamily(spec.type) && origin.source.type.toUpperCase() === spec.type) return src;
  return `TRY_CAST(${src} AS ${spec.type})`;
}

/** Parses text or numbers into TIMESTAMPTZ: ISO dates/timestamps (naive = UTC), epoch seconds or milliseconds. */
export function parseTimestamp(src: string, sourceType: string): string {
  const family = typeFamily(sourceType);
  if (family === 'time') return `CAST(${src} AS TIMESTAMPTZ)`;
  if (family === 'number') {
    return `CASE WHEN abs(${src}) < 1e11 THEN to_timestamp(${src}::DOUBLE) ELSE to_timestamp(${src}::DOUBLE / 1000) END`;
  }
  const text = `trim(${src}::VARCHAR)`;
  return `COALESCE(TRY_CAST(${text} AS TIMESTAMPTZ), CASE
      WHEN regexp_full_match(${text}, '\\d{9,10}') THEN to_timestamp(TRY_CAST(${text} AS BIGINT))
      WHEN regexp_full_match(${text}, '\\d{12,13}') THEN to_timestamp(TRY_CAST(${text} AS BIGINT) / 1000) END)`;
}

function shiftToClose(parsed: string, timing: BarTiming): string {
  switch (timing.kind) {
    case 'close':
      return parsed;
    case 'start':
      return `(${parsed} + to_seconds(${timing.interval.seconds}))`;
    case 'session':
      // The bar's calendar date at the exchange's close time, in the exchange's zone.
      return `timezone(${quoteLiteral(timing.timeZone)}, CAST(${parsed} AS DATE) + TIME ${quoteLiteral(`${timing.closeTime}:00`)})`;
  }
}

function rawText(src: string): string {
  return `COALESCE(to_json(${src})::VARCHAR, 'null')`;
}

function columnChecks(spec: ColumnSpec, origin: ColumnOrigin, value: string, ref: SourceRef): Check[] {
  const name = spec.name;
  if ('absent' in origin) return [];
  if ('constant' in origin) return [check(`${value} IS NULL`, quoteLiteral(`${name}: invalid constant`))];
  const src = ref(origin.source);
  const blank = typeFamily(origin.source.type) === 'string' ? `(${src} IS NULL OR trim(${src}) = '')` : `${src} IS NULL`;
  const checks: Check[] = [];
  if (spec.required) checks.push(check(blank, quoteLiteral(`${name}: required`)));
  const what = spec.type === 'TIMESTAMPTZ' ? 'a UTC timestamp' : spec.type;
  checks.push(check(`NOT ${blank} AND ${value} IS NULL`, `${quoteLiteral(`${name}: cannot parse `)} || ${rawText(src)} || ${quoteLiteral(` as ${what}`)}`));
  if (spec.type === 'DOUBLE') checks.push(check(`NOT isfinite(${value})`, quoteLiteral(`${name}: not a finite number`)));
  if (spec.type === 'TIMESTAMPTZ') {
    checks.push(
      check(`${value} < TIMESTAMPTZ '1900-01-01' OR ${value} > TIMESTAMPTZ '2200-01-01'`, quoteLiteral(`${name}: outside 1900..2200 (seconds vs milliseconds?)`)),
    );
  }
  return checks;
}

// OHLC sanity: positive prices, low <= open, close <= high, volume >= 0 (on the typed values).
function barChecks(mapping: ResolvedMapping): Check[] {
  const col = (name: string): string | undefined => {
    const entry = mapping.columns.find((c) => c.spec.name === name);
    return entry && !('absent' in entry.origin) ? quoteIdent(name) : undefined;
  };
  const [open, high, low, close, volume] = ['open', 'high', 'low', 'close', 'volume'].map(col);
  const checks: Check[] = [];
  for (const [name, v] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (v) checks.push(check(`${v} <= 0`, quoteLiteral(`${name}: must be > 0`)));
  }
  if (high && low) checks.push(check(`${low} > ${high}`, `'low: above high'`));
  if (open && low && high) checks.push(check(`${open} < ${low} OR ${open} > ${high}`, `'open: outside [low, high]'`));
  if (close && low && high) checks.push(check(`${close} < ${low} OR ${close} > ${high}`, `'close: outside [low, high]'`));
  if (volume) checks.push(check(`${volume} < 0`, `'volume: must be >= 0'`));
  return checks;
}
