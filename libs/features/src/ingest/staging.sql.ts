import { tradingCalendar } from '../calendar/calendars';
import { closedReasonSql, sessionCloseSql } from '../calendar/session.sql';
import { INGESTED_AT, isBarSchema, typeFamily, type ColumnSpec, type DatasetSchema } from '../datasets/dataset.schema';
import { quoteSourceColumn } from '../sql/identifier';
import { ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { SANE_TIME_RANGE } from '../util/time';
import type { BarTiming } from './bar-timing';
import type { ColumnOrigin, ResolvedMapping, SourceColumn } from './column-mapping';

const SANE_FROM = new Date(SANE_TIME_RANGE.minMs);
const SANE_UNTIL = new Date(SANE_TIME_RANGE.maxMs);

/**
 * Generates the one SELECT that turns raw source rows into typed dataset rows plus an `_error`
 * column (NULL for a good row, else every reason joined by "; "), `_bad` (whether any rule
 * failed, without the reasons) and `_raw` (the original values as JSON, for bad rows only). All validation of a batch lives here.
 */
export function stagingSelect(
  schema: DatasetSchema,
  mapping: ResolvedMapping,
  timing: BarTiming,
  batchTime: Date,
  reader: Sql,
  sourceColumns: readonly SourceColumn[],
): Sql {
  // Level 1 renames source columns to _s0.._sN; level 2 types them once; level 3 checks the typed values.
  const alias = new Map(sourceColumns.map((c, i) => [c.name, `_s${i}`]));
  const ref = (c: SourceColumn): Sql => raw(alias.get(c.name) ?? quoteSourceColumn(c.name));
  const typed: Sql[] = [];
  const checks: Check[] = [];
  for (const { spec, origin } of mapping.columns) {
    const name = ident(spec.name);
    const isTs = spec.name === schema.timestampColumn;
    typed.push(sql`${valueExpr(spec, origin, isTs ? timing : undefined, ref)} AS ${name}`);
    if (isTs && timing.kind === 'session' && timing.calendar && 'source' in origin) {
      // The bar's date is kept apart from its ts: a date without a session leaves ts NULL and
      // must be reported as such, not as a value that cannot be parsed.
      const calendar = tradingCalendar(timing.calendar);
      const day = raw('_bar_day');
      typed.push(sql`CAST(${raw(parseTimestamp(ref(origin.source).toString(), origin.source.type))} AS DATE) AS _bar_day`);
      checks.push(...columnChecks(spec, origin, day, ref));
      checks.push(
        check(
          sql`${day} IS NOT NULL AND ${name} IS NULL`,
          sql`${`${spec.name}: `} || strftime(${day}, '%Y-%m-%d') || ${` has no ${calendar.name} session (`} || ${closedReasonSql(calendar, day)} || ')'`,
        ),
      );
    } else {
      checks.push(...columnChecks(spec, origin, name, ref));
    }
  }
  if (mapping.ingestedAt) {
    const src = ref(mapping.ingestedAt);
    typed.push(sql`${raw(parseTimestamp(src.toString(), mapping.ingestedAt.type))} AS _ingested_at`);
    checks.push(check(sql`${src} IS NOT NULL AND _ingested_at IS NULL`, sql`${`${INGESTED_AT}: cannot parse `} || ${rawText(src)} || ${' as a UTC timestamp'}`));
    checks.push(saneTimeCheck(INGESTED_AT, raw('_ingested_at')));
  } else {
    typed.push(sql`NULL::TIMESTAMPTZ AS _ingested_at`);
  }
  if (isBarSchema(schema)) checks.push(...barChecks(mapping));
  const names = mapping.columns.map((c) => ident(c.spec.name));
  const renamed = sourceColumns.map((c) => sql`${raw(quoteSourceColumn(c.name))} AS ${ref(c)}`);
  // json_object, not a struct literal: its keys (the source's column names) can be bound.
  const rawJson = sql`json_object(${joinSql(sourceColumns.map((c) => sql`${c.name}, ${ref(c)}`))})::VARCHAR`;
  // `_bad` is the cheap flag (no message): a reader that needs only the flag (the direct write)
  // never builds the messages, as DuckDB drops the columns a query does not use.
  // (a OR b) IS TRUE is (a IS TRUE) OR (b IS TRUE) in SQL's three-valued logic, with one test instead of one per rule.
  const bad = checks.length ? sql`(${joinSql(checks.map((c) => sql`(${c.when})`), ' OR ')}) IS TRUE` : sql`false`;
  return sql`SELECT ${joinSql(names)}, COALESCE(_ingested_at, ${batchTime}) AS ${ident(INGESTED_AT)}, _error, _bad,
       CASE WHEN _error IS NOT NULL THEN ${rawJson} END AS _raw
FROM (SELECT *, ${bad} AS _bad, CASE WHEN ${bad}
      THEN NULLIF(concat_ws('; ', ${joinSql(checks.map((c) => sql`CASE WHEN ${c.when} THEN ${c.message} END`), ',\n        ')}), '') END AS _error
  FROM (SELECT ${joinSql([...typed, ...sourceColumns.map(ref)], ',\n    ')}
    FROM (SELECT ${joinSql(renamed)} FROM ${reader})))`;
}

/** The typed columns a staged table hands on to the lake, in schema order, with ingested_at last. */
export function lakeColumns(schema: DatasetSchema): Sql {
  return joinSql([...schema.columns.map((c) => ident(c.name)), ident(INGESTED_AT)]);
}

type SourceRef = (column: SourceColumn) => Sql;

/** One row rule: a condition that makes the row bad, and the SQL of its message. */
interface Check {
  readonly when: Sql;
  readonly message: Sql;
}

function check(when: Sql, message: Sql | string): Check {
  return { when, message: typeof message === 'string' ? sql`${message}` : message };
}

function valueExpr(spec: ColumnSpec, origin: ColumnOrigin, timing: BarTiming | undefined, ref: SourceRef): Sql {
  // Column types come from the validated schema (a fixed set of DuckDB type names).
  const type = raw(spec.type);
  if ('absent' in origin) return sql`NULL::${type}`;
  if ('constant' in origin) return sql`CAST(${origin.constant} AS ${type})`;
  const src = ref(origin.source);
  if (spec.type === 'TIMESTAMPTZ') {
    const parsed = raw(parseTimestamp(src.toString(), origin.source.type));
    return timing ? shiftToClose(parsed, timing) : parsed;
  }
  if (isUntouched(spec, origin.source)) return src;
  return sql`TRY_CAST(${src} AS ${type})`;
}

/**
 * Parses text or numbers into TIMESTAMPTZ: ISO dates/timestamps (naive = UTC), epoch seconds or
 * milliseconds. `src` is a column reference the caller wrote; the result holds no value.
 */
export function parseTimestamp(src: string, sourceType: string): string {
  const family = typeFamily(sourceType);
  // A naive DATE/TIMESTAMP is UTC, so its microseconds are the instant: an order of magnitude
  // cheaper than the cast to TIMESTAMPTZ, which goes through ICU's calendar for every row.
  if (family === 'time') return isNaiveTime(sourceType) ? `make_timestamptz(epoch_us(CAST(${src} AS TIMESTAMP)))` : `CAST(${src} AS TIMESTAMPTZ)`;
  if (family === 'number') {
    return `CASE WHEN abs(${src}) < 1e11 THEN to_timestamp(${src}::DOUBLE) ELSE to_timestamp(${src}::DOUBLE / 1000) END`;
  }
  const text = `trim(${src}::VARCHAR)`;
  return `COALESCE(TRY_CAST(${text} AS TIMESTAMPTZ), CASE
      WHEN regexp_full_match(${text}, '\\d{9,10}') THEN to_timestamp(TRY_CAST(${text} AS BIGINT))
      WHEN regexp_full_match(${text}, '\\d{12,13}') THEN to_timestamp(TRY_CAST(${text} AS BIGINT) / 1000) END)`;
}

function shiftToClose(parsed: Sql, timing: BarTiming): Sql {
  switch (timing.kind) {
    case 'close':
      return parsed;
    case 'start':
      // Microsecond arithmetic, not `+ INTERVAL` (ICU per row): a fixed number of seconds either way.
      return sql`make_timestamptz(epoch_us(${parsed}) + ${raw(String(Math.round(timing.interval.seconds * 1_000_000)))})`;
    case 'session':
      // The bar's calendar date at its session's close: the calendar's, or a fixed time in the exchange's zone.
      if (timing.calendar) return sessionCloseSql(tradingCalendar(timing.calendar), sql`CAST(${parsed} AS DATE)`);
      return sql`timezone(${timing.timeZone}, CAST(${parsed} AS DATE) + CAST(${`${timing.closeTime}:00`} AS TIME))`;
  }
}

// The source column already has the dataset column's type: the value is the column itself.
function isUntouched(spec: ColumnSpec, source: SourceColumn): boolean {
  return spec.type !== 'TIMESTAMPTZ' && typeFamily(source.type) === typeFamily(spec.type) && source.type.toUpperCase() === spec.type;
}

function isNaiveTime(sourceType: string): boolean {
  const t = sourceType.toUpperCase();
  return t === 'DATE' || (t.startsWith('TIMESTAMP') && t !== 'TIMESTAMPTZ' && !t.includes('TIME ZONE'));
}

/** The UTC wall time of the TIMESTAMPTZ `ts` as a naive TIMESTAMP, without ICU (for strftime and dates). */
export function utcWallTime(ts: Sql): Sql {
  return sql`make_timestamp(epoch_us(${ts}))`;
}

function rawText(src: Sql): Sql {
  return sql`COALESCE(to_json(${src})::VARCHAR, 'null')`;
}

function columnChecks(spec: ColumnSpec, origin: ColumnOrigin, value: Sql, ref: SourceRef): Check[] {
  const name = spec.name;
  if ('absent' in origin) return [];
  if ('constant' in origin) return [check(sql`${value} IS NULL`, `${name}: invalid constant`)];
  const src = ref(origin.source);
  // trim() copies every string; a visible ASCII first character already tells a value is not blank.
  const blank =
    typeFamily(origin.source.type) === 'string'
      ? sql`CASE WHEN ${src} IS NULL THEN true WHEN ascii(${src}) BETWEEN 33 AND 126 THEN false ELSE trim(${src}) = '' END`
      : sql`${src} IS NULL`;
  const checks: Check[] = [];
  if (spec.required) checks.push(check(blank, `${name}: required`));
  const what = spec.type === 'TIMESTAMPTZ' ? 'a UTC timestamp' : spec.type;
  // A value taken as it is read cannot fail to parse.
  if (!isUntouched(spec, origin.source)) checks.push(check(sql`NOT ${blank} AND ${value} IS NULL`, sql`${`${name}: cannot parse `} || ${rawText(src)} || ${` as ${what}`}`));
  if (spec.type === 'DOUBLE') checks.push(check(sql`NOT isfinite(${value})`, `${name}: not a finite number`));
  if (spec.type === 'TIMESTAMPTZ') checks.push(saneTimeCheck(name, value));
  return checks;
}

// Times outside SANE_TIME_RANGE are bad input (mostly a unit mistake), as everywhere in the store.
function saneTimeCheck(name: string, value: Sql): Check {
  return check(sql`${value} < ${SANE_FROM} OR ${value} >= ${SANE_UNTIL}`, `${name}: outside 1900..2200 (seconds vs milliseconds?)`);
}

// OHLC sanity: positive prices, low <= open, close <= high, volume >= 0 (on the typed values).
function barChecks(mapping: ResolvedMapping): Check[] {
  const col = (name: string): Sql | undefined => {
    const entry = mapping.columns.find((c) => c.spec.name === name);
    return entry && !('absent' in entry.origin) ? ident(name) : undefined;
  };
  const [open, high, low, close, volume] = ['open', 'high', 'low', 'close', 'volume'].map(col);
  const checks: Check[] = [];
  for (const [name, v] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (v) checks.push(check(sql`${v} <= 0`, `${name}: must be > 0`));
  }
  if (high && low) checks.push(check(sql`${low} > ${high}`, 'low: above high'));
  if (open && low && high) checks.push(check(sql`${open} < ${low} OR ${open} > ${high}`, 'open: outside [low, high]'));
  if (close && low && high) checks.push(check(sql`${close} < ${low} OR ${close} > ${high}`, 'close: outside [low, high]'));
  if (volume) checks.push(check(sql`${volume} < 0`, 'volume: must be >= 0'));
  return checks;
}
