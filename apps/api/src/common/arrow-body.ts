import { DataType, Precision, tableFromIPC, type Table, type Vector } from 'apache-arrow';
import { InvalidArgumentError } from '@app/features';

/**
 * An Arrow IPC body as NDJSON for DuckDB (which has no Arrow reader here), with the DuckDB type
 * of each column when JSON can carry them all, so that a reader need not guess types from JSON.
 */
export function arrowToNdjson(bytes: Buffer): { bytes: Buffer; columnTypes?: Record<string, string> } {
  const table = arrowTable(bytes);
  return { bytes: ndjson(table), columnTypes: duckDbTypes(table) };
}

function arrowTable(bytes: Buffer): Table {
  try {
    return tableFromIPC(bytes);
  } catch (error) {
    throw new InvalidArgumentError(`body: not an Arrow IPC stream (${(error as Error).message})`, { field: 'body' });
  }
}

// Rows per piece of text: a million-row frame is written in pieces, never as one huge string.
const PIECE_ROWS = 16_384;

/**
 * Each row as one JSON object per line. Each column is read once into plain values (Arrow's
 * per-value `get` is slow), and the JSON text of a value is made only when its line is written,
 * so the texts die young instead of filling the old generation (garbage collection was most of
 * the time of a million-row frame).
 */
function ndjson(table: Table): Buffer {
  const fields = table.schema.fields;
  const keys = fields.map((f, j) => `${j === 0 ? '{' : ','}${JSON.stringify(f.name)}:`);
  const texts = fields.map((f) => jsonText(table.getChild(f.name)!, f.type));
  const pieces: Buffer[] = [];
  for (let start = 0; start < table.numRows; start += PIECE_ROWS) {
    const end = Math.min(table.numRows, start + PIECE_ROWS);
    let piece = '';
    for (let i = start; i < end; i++) {
      if (i > 0) piece += '\n';
      for (let j = 0; j < texts.length; j++) piece += keys[j] + texts[j](i);
      piece += keys.length ? '}' : '{}';
    }
    pieces.push(Buffer.from(piece));
  }
  return Buffer.concat(pieces);
}

// The JSON text of value i of a column, as arrowValue's value would be written.
function jsonText(column: Vector, type: DataType): (i: number) => string {
  const valueType = DataType.isDictionary(type) ? type.dictionary : type;
  // A typed array of a column without nulls is the values themselves (not so for half floats, kept as bits).
  const typed = column.nullCount === 0 && !DataType.isDictionary(type) && (DataType.isInt(valueType) || (DataType.isFloat(valueType) && valueType.precision !== Precision.HALF));
  const values: ArrayLike<unknown> = typed ? column.toArray() : Array.from(column);
  const nullable = (write: (v: unknown) => string) => (i: number) => {
    const v = values[i];
    return v === null || v === undefined ? 'null' : write(v);
  };
  if (DataType.isFloat(valueType) || DataType.isInt(valueType)) return nullable((v) => numberText(Number(v)));
  if (DataType.isBool(valueType)) return nullable((v) => (v ? 'true' : 'false'));
  if (DataType.isUtf8(valueType) || DataType.isLargeUtf8(valueType)) return nullable((v) => stringText(v as string));
  if (DataType.isTimestamp(valueType) || DataType.isDate(valueType)) return nullable((v) => `"${isoUtc(Number(v))}"`);
  return (i) => JSON.stringify(arrowValue(values[i], valueType)) ?? 'null';
}

// Most text needs no escaping; JSON.stringify is kept for what does (quotes, controls, surrogates).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function stringText(v: string): string {
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
}

// The years 1970 to 9999, the ones entity frames hold; Date's own formatting for the others.
const FAST_ISO_END_MS = 253_402_300_800_000;

/** `new Date(ms).toISOString()`, without a Date per value (the slow part of a time column). */
export function isoUtc(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < FAST_ISO_END_MS)) return new Date(epochMs).toISOString();
  const ms = Math.floor(epochMs); // Date drops sub-millisecond parts too
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return `${year}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(milli, 3)}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

// JSON has no NaN or infinities; JSON.stringify writes them as null, and so does this.
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** A value of an Arrow column as JSON can hold it: times as ISO-8601 text in UTC, BIGINT as a number. */
export function arrowValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if ((DataType.isTimestamp(type) || DataType.isDate(type)) && (typeof value === 'number' || typeof value === 'bigint')) {
    return new Date(Number(value)).toISOString();
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/**
 * The DuckDB type of each column of an Arrow table, or undefined when a column has a type JSON
 * cannot carry faithfully (lists, structs, …): the reader then infers every type.
 */
export function duckDbTypes(table: Table): Record<string, string> | undefined {
  const types: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const type = duckDbType(DataType.isDictionary(field.type) ? field.type.dictionary : field.type);
    if (!type) return undefined;
    types[field.name] = type;
  }
  return types;
}

function duckDbType(type: DataType): string | undefined {
  if (DataType.isFloat(type)) return type.precision === Precision.DOUBLE ? 'DOUBLE' : 'FLOAT';
  if (DataType.isInt(type)) return `${type.isSigned ? '' : 'U'}${INT_TYPES[type.bitWidth]}`;
  if (DataType.isBool(type)) return 'BOOLEAN';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'VARCHAR';
  if (DataType.isTimestamp(type)) return 'TIMESTAMPTZ'; // written as ISO text in UTC (arrowValue)
  if (DataType.isDate(type)) return 'DATE';
  return undefined;
}

const INT_TYPES: Record<number, string> = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' };
