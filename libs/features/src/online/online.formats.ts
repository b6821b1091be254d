import type { OnlineColumn, OnlineResult, OnlineStatus, OnlineValue } from './online-serving.service';
import type { OnlineRow } from './online-store.driver';

/** `POST /v1/online-features` answer (API.md): one object per entity, with per-value metadata. */
export interface OnlineResponse {
  readonly featureNames: string[];
  readonly versions: Record<string, number>;
  readonly rows: Array<Record<string, OnlineValue>>;
  readonly metadata: Array<{ eventTimestamps: Record<string, string | null>; statuses: Record<string, OnlineStatus> }>;
}

/**
 * Consecutive requested columns of one view version, with the JSON they render to, cached as
 * UTF-8 bytes: a feature service's columns come in a few runs, one per view, and the drivers hand
 * back the same row object while a stored row is unchanged, so most of an answer is bytes written
 * before and copied once into the answer (no half-megabyte string to build, measure and encode).
 */
interface ColumnRun {
  readonly table: number;
  readonly columns: readonly OnlineColumn[];
  /** `"name":` per column. */
  readonly prefixes: readonly string[];
  /** `"a":null,"b":null`: the values (or event times) of a run without a row. */
  readonly nulls: Buffer;
  /** `"a":"PRESENT","b":"PRESENT"` per status. */
  readonly statuses: Readonly<Record<OnlineStatus, Buffer>>;
  /** `"a":1.5,"b":null` per row. */
  readonly values: WeakMap<OnlineRow, Buffer>;
  /** `"a":"<ts>","b":"<ts>"` per event time (most rows of a view share a few). */
  readonly times: Map<string, Buffer>;
  /** Feast's value text per column, per row. */
  readonly feastValues: WeakMap<OnlineRow, readonly string[]>;
}

const TIMES_CACHE_LIMIT = 4096;
interface Layout {
  readonly columns: readonly OnlineColumn[];
  readonly keyColumns: readonly string[];
  readonly runs: readonly ColumnRun[];
  /** `{"featureNames":[…],"versions":{…},"rows":[`: the same for every answer of a resolution. */
  readonly head: Buffer;
}

const layouts = new WeakMap<readonly number[], Layout>();

/** The runs and the fixed head of a resolution's answers, computed once per resolution. */
function layout(result: OnlineResult): Layout {
  const cached = layouts.get(result.columnTable);
  if (cached !== undefined && cached.columns === result.columns && cached.keyColumns === result.keyColumns) return cached;
  const runs: ColumnRun[] = [];
  let from = 0;
  for (let c = 1; c <= result.columns.length; c++) {
    if (c < result.columns.length && result.columnTable[c] === result.columnTable[from]) continue;
    const columns = result.columns.slice(from, c);
    const prefixes = columns.map((column) => `${JSON.stringify(column.name)}:`);
    const each = (text: string) => Buffer.from(prefixes.map((p) => p + text).join(','));
    runs.push({
      table: result.columnTable[from],
      columns,
      prefixes,
      nulls: each('null'),
      statuses: { PRESENT: each('"PRESENT"'), NOT_FOUND: each('"NOT_FOUND"'), OUTSIDE_TTL: each('"OUTSIDE_TTL"') },
      values: new WeakMap(),
      times: new Map(),
      feastValues: new WeakMap(),
    });
    from = c;
  }
  const versions: Record<string, number> = {};
  for (const c of result.columns) versions[c.view] = c.version;
  const names = [...result.keyColumns, ...result.columns.map((c) => c.name)].map((n) => JSON.stringify(n));
  const head = Buffer.from(`{"featureNames":[${names.join(',')}],"versions":${JSON.stringify(versions)},"rows":[`);
  const built = { columns: result.columns, keyColumns: result.keyColumns, runs, head };
  layouts.set(result.columnTable, built);
  return built;
}

function runValues(run: ColumnRun, row: OnlineRow): Buffer {
  let bytes = run.values.get(row);
  if (bytes === undefined) {
    bytes = Buffer.from(run.columns.map((column, i) => run.prefixes[i] + jsonValue(row.values[column.feature] ?? null)).join(','));
    run.values.set(row, bytes);
  }
  return bytes;
}

function runTimes(run: ColumnRun, eventTs: string): Buffer {
  let bytes = run.times.get(eventTs);
  if (bytes === undefined) {
    if (run.times.size >= TIMES_CACHE_LIMIT) run.times.clear();
    const quoted = JSON.stringify(eventTs);
    bytes = Buffer.from(run.prefixes.map((p) => p + quoted).join(','));
    run.times.set(eventTs, bytes);
  }
  return bytes;
}

/** An answer assembled from cached bytes and short text, copied once into one buffer. */
class Pieces {
  private readonly pieces: Array<Buffer | string> = [];
  // An upper bound: a UTF-16 unit is at most 3 UTF-8 bytes.
  private bound = 0;

  text(text: string): void {
    this.pieces.push(text);
    this.bound += text.length * 3;
  }

  bytes(bytes: Buffer): void {
    this.pieces.push(bytes);
    this.bound += bytes.length;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.bound);
    let at = 0;
    for (const piece of this.pieces) {
      if (typeof piece === 'string') at = writeText(out, piece, at);
      else {
        out.set(piece, at);
        at += piece.length;
      }
    }
    return out.subarray(0, at);
  }
}

// Short text byte by byte while it is ASCII (a native write per comma costs more than the loop).
function writeText(out: Buffer, text: string, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return at + out.write(text.slice(i), at);
    out[at++] = code;
  }
  return at;
}

/**
 * The `POST /v1/online-features` answer (the OnlineResponse shape) as UTF-8 JSON, written straight
 * from the rows read, run by run of columns. This is the hot path of online serving (a 100 x 50
 * answer is about half a megabyte).
 */
export function onlineResponseBody(result: OnlineResult): Buffer {
  const count = result.keys[0].length;
  const keyNames = result.keyColumns.map((k) => JSON.stringify(k));
  const { runs, head } = layout(result);
  const out = new Pieces();
  out.bytes(head);
  for (let j = 0; j < count; j++) {
    let row = j ? ',{' : '{';
    for (let k = 0; k < keyNames.length; k++) row += `${k ? ',' : ''}${keyNames[k]}:${JSON.stringify(result.keys[k][j])}`;
    out.text(row);
    for (const run of runs) {
      const table = result.tables[run.table];
      out.text(',');
      out.bytes(table.statuses[j] === 'PRESENT' ? runValues(run, table.rows[j]!) : run.nulls);
    }
    out.text('}');
  }
  out.text('],"metadata":[');
  for (let j = 0; j < count; j++) {
    out.text(j ? ',{"eventTimestamps":{' : '{"eventTimestamps":{');
    runs.forEach((run, r) => {
      const stored = result.tables[run.table].rows[j];
      if (r) out.text(',');
      out.bytes(stored === undefined ? run.nulls : runTimes(run, stored.eventTs));
    });
    out.text('},"statuses":{');
    runs.forEach((run, r) => {
      if (r) out.text(',');
      out.bytes(run.statuses[result.tables[run.table].statuses[j]]);
    });
    out.text('}}');
  }
  out.text(']}');
  return out.toBuffer();
}

// A value as JSON (NaN and infinities have no JSON form: null, as JSON.stringify writes them).
function jsonValue(value: OnlineValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

/** Feast's feature-server statuses. */
export type FeastStatus = 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE';

// Feast's timestamp for the entity columns and for values without a row.
const EPOCH = '1970-01-01T00:00:00Z';
const QUOTED_EPOCH = `"${EPOCH}"`;

// A value's Feast status as JSON text (NULL_VALUE: a row is there but the value is null).
function feastStatus(status: OnlineStatus, nullValue: boolean): string {
  if (status === 'NOT_FOUND') return '"NOT_FOUND"';
  if (status === 'OUTSIDE_TTL') return '"OUTSIDE_MAX_AGE"';
  return nullValue ? '"NULL_VALUE"' : '"PRESENT"';
}

// Feast prints whole seconds with a Z: 2021-03-01T00:00:00Z.
function feastTimestamp(iso: string): string {
  const dot = iso.indexOf('.');
  return dot < 0 ? iso : `${iso.slice(0, dot)}Z`;
}

function feastValues(run: ColumnRun, row: OnlineRow): readonly string[] {
  let texts = run.feastValues.get(row);
  if (texts === undefined) {
    texts = run.columns.map((column) => {
      const value = row.values[column.feature] ?? null;
      return column.type === 'DOUBLE' ? feastDouble(value) : JSON.stringify(value);
    });
    run.feastValues.set(row, texts);
  }
  return texts;
}

/**
 * Feast's `/get-online-features` answer as UTF-8 JSON, column-major with the entity key columns
 * first, written the way Feast's server writes it: whole DOUBLE values keep a `.0` (Feast's
 * Python client infers a value's type from the JSON token, so `1` would reach a pandas user as an
 * int), NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
 */
export function feastResponseBody(result: OnlineResult, fullFeatureNames: boolean, withViewMetadata = false): Buffer {
  const count = result.keys[0].length;
  const names = [...result.keyColumns, ...result.columns.map((c) => (fullFeatureNames ? c.name : c.feature))];
  const out = new Pieces();
  out.text('{"results":[');
  const keyStatuses = `[${new Array<string>(count).fill('"PRESENT"').join(',')}]`;
  const keyTimes = `[${new Array<string>(count).fill(QUOTED_EPOCH).join(',')}]`;
  result.keys.forEach((keys, k) => out.text(`${k ? ',' : ''}{"values":${JSON.stringify(keys)},"statuses":${keyStatuses},"event_timestamps":${keyTimes}}`));
  for (const run of layout(result).runs) {
    const table = result.tables[run.table];
    // Per entity: the run's value texts (null: no value), and the event times and the statuses,
    // which every column of the run shares (but NULL_VALUE, which depends on the value).
    const texts: Array<readonly string[] | null> = new Array(count);
    let times = '';
    let statuses = '';
    for (let j = 0; j < count; j++) {
      const stored = table.rows[j];
      const status = table.statuses[j];
      texts[j] = status === 'PRESENT' ? feastValues(run, stored!) : null;
      const sep = j ? ',' : '';
      times += sep + (stored === undefined ? QUOTED_EPOCH : `"${feastTimestamp(stored.eventTs)}"`);
      statuses += sep + feastStatus(status, false);
    }
    const timesBytes = Buffer.from(`],"event_timestamps":[${times}]}`);
    const statusBytes = Buffer.from(`],"statuses":[${statuses}`);
    run.columns.forEach((_, i) => {
      out.text(',{"values":[');
      let nulls = false;
      for (let j = 0; j < count; j++) {
        const row = texts[j];
        const text = row === null ? 'null' : row[i];
        if (row !== null && text === 'null') nulls = true;
        out.text(j ? `,${text}` : text);
      }
      if (!nulls) out.bytes(statusBytes);
      else {
        let own = '';
        for (let j = 0; j < count; j++) {
          const row = texts[j];
          own += (j ? ',' : '') + feastStatus(table.statuses[j], row !== null && row[i] === 'null');
        }
        out.text(`],"statuses":[${own}`);
      }
      out.bytes(timesBytes);
    });
  }
  const metadata: Record<string, unknown> = { feature_names: names };
  if (withViewMetadata) {
    const views = new Map(result.columns.map((c) => [c.view, c.version]));
    metadata.feature_view_metadata = [...views].map(([name, version]) => ({ name, version }));
  }
  out.text(`],"metadata":${JSON.stringify(metadata)}}`);
  return out.toBuffer();
}

function feastDouble(value: OnlineValue): string {
  if (typeof value !== 'number') return JSON.stringify(value);
  if (Number.isNaN(value)) return '"NaN"';
  if (!Number.isFinite(value)) return value > 0 ? '"Infinity"' : '"-Infinity"';
  const text = String(value);
  return Number.isInteger(value) && !text.includes('e') ? `${text}.0` : text;
}
