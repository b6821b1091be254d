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
  const typed: string[] = [];
  const checks: string[] = [];
  for (const { spec, origin } of mapping.columns) {
    const value = valueExpr(spec, origin, spec.name === schema.timestampColumn ? timing : undefined);
    typed.push(`${value} AS ${quoteIdent(spec.name)}`);
    checks.push(...columnChecks(spec, origin, value));
  }
  const batchLiteral = `TIMESTAMPTZ ${quoteLiteral(batchTime.toISOString())}`;
  if (mapping.ingestedAt) {
    const src = quoteSourceColumn(mapping.ingestedAt.name);
    const parsed = parseTimestamp(src, mapping.ingestedAt.type);
    typed.push(`COALESCE(${parsed}, ${batchLiteral}) AS ${INGESTED_AT}`);
    checks.push(`CASE WHEN ${src} IS NOT NULL AND ${parsed} IS NULL THEN ${quoteLiteral(`${INGESTED_AT}: cannot parse `)} || ${rawText(src)} || ' as a UTC timestamp' END`);
  } else {
    typed.push(`${batchLiteral} AS ${INGESTED_AT}`);
  }
  if (isBarSchema(schema)) checks.push(...barChecks(mapping));
  const error = `NULLIF(concat_ws('; ', ${checks.join(',\n    ')}), '')`;
  const names = [...mapping.columns.map((c) => quoteIdent(c.spec.name)), INGESTED_AT];
  const rawAliases = sourceColumns.map((c, i) => `${quoteSourceColumn(c.name)} AS _s${i}`);
  const raw = `to_json({${sourceColumns.map((c, i) => `${quoteLiteral(c.name)}: _s${i}`).join(', ')}})::VARCHAR`;
  return `SELECT ${names.join(', ')}, _error, CASE WHEN _error IS NOT NULL THEN ${raw} END AS _raw
FROM (SELECT ${[...typed, `${error} AS _error`, ...rawAliases].join(',\n  ')}
  FROM ${reader})`;
}

/** The typed columns a staged table hands on to the lake, in schema order, with ingested_at last. */
export function lakeColumns(schema: DatasetSchema): string[] {
  return [...schema.columns.map((c) => quoteIdent(c.name)), INGESTED_AT];
}

function valueExpr(spec: ColumnSpec, origin: ColumnOrigin, timing: BarTiming | undefined): string {
  if ('absent' in origin) return `NULL::${spec.type}`;
  if ('constant' in origin) return `CAST(${quoteLiteral(origin.constant)} AS ${spec.type})`;
  const src = quoteSourceColumn(origin.source.name);
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

function columnChecks(spec: ColumnSpec, origin: ColumnOrigin, value: string): string[] {
  const name = spec.name;
  if ('absent' in origin) return [];
  if ('constant' in origin) return [`CASE WHEN ${value} IS NULL THEN ${quoteLiteral(`${name}: invalid constant`)} END`];
  const src = quoteSourceColumn(origin.source.name);
  const blank = typeFamily(origin.source.type) === 'string' ? `(${src} IS NULL OR trim(${src}) = '')` : `${src} IS NULL`;
  const checks: string[] = [];
  if (spec.required) checks.push(`CASE WHEN ${blank} THEN ${quoteLiteral(`${name}: required`)} END`);
  const what = spec.type === 'TIMESTAMPTZ' ? 'a UTC timestamp' : spec.type;
  checks.push(`CASE WHEN NOT ${blank} AND ${value} IS NULL THEN ${quoteLiteral(`${name}: cannot parse `)} || ${rawText(src)} || ${quoteLiteral(` as ${what}`)} END`);
  if (spec.type === 'DOUBLE') checks.push(`CASE WHEN NOT isfinite(${value}) THEN ${quoteLiteral(`${name}: not a finite number`)} END`);
  if (spec.type === 'TIMESTAMPTZ') {
    checks.push(
      `CASE WHEN ${value} < TIMESTAMPTZ '1900-01-01' OR ${value} > TIMESTAMPTZ '2200-01-01' THEN ${quoteLiteral(`${name}: outside 1900..2200 (seconds vs milliseconds?)`)} END`,
    );
  }
  return checks;
}

// OHLC sanity: positive prices, low <= open, close <= high, volume >= 0.
function barChecks(mapping: ResolvedMapping): string[] {
  const col = (name: string): string | undefined => {
    const entry = mapping.columns.find((c) => c.spec.name === name);
    return entry && !('absent' in entry.origin) ? `(${valueExpr(entry.spec, entry.origin, undefined)})` : undefined;
  };
  const [open, high, low, close, volume] = ['open', 'high', 'low', 'close', 'volume'].map(col);
  const checks: string[] = [];
  for (const [name, v] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (v) checks.push(`CASE WHEN ${v} <= 0 THEN ${quoteLiteral(`${name}: must be > 0`)} END`);
  }
  if (high && low) checks.push(`CASE WHEN ${low} > ${high} THEN 'low: above high' END`);
  if (open && low && high) checks.push(`CASE WHEN ${open} < ${low} OR ${open} > ${high} THEN 'open: outside [low, high]' END`);
  if (close && low && high) checks.push(`CASE WHEN ${close} < ${low} OR ${close} > ${high} THEN 'close: outside [low, high]' END`);
  if (volume) checks.push(`CASE WHEN ${volume} < 0 THEN 'volume: must be >= 0' END`);
  return checks;
}
