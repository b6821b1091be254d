import type { OnlineResult, OnlineStatus, OnlineValue } from './online-serving.service';

/** `POST /v1/online-features` answer (API.md): one object per entity, with per-value metadata. */
export interface OnlineResponse {
  readonly featureNames: string[];
  readonly versions: Record<string, number>;
  readonly rows: Array<Record<string, OnlineValue>>;
  readonly metadata: Array<{ eventTimestamps: Record<string, string | null>; statuses: Record<string, OnlineStatus> }>;
}

/**
 * The `POST /v1/online-features` answer (the OnlineResponse shape) written as JSON text straight
 * from the column-major result: no intermediate objects, each name escaped once. This is the hot
 * path of online serving (a 100 x 50 answer is about half a megabyte).
 */
export function onlineResponseJson(result: OnlineResult): string {
  const count = result.keys[0].length;
  const keyNames = result.keyColumns.map((k) => JSON.stringify(k));
  const names = result.columns.map((c) => JSON.stringify(c.name));
  // `"name":` once per column, and the opening of each row's value list.
  const prefixes = names.map((n) => `${n}:`);
  const versions: Record<string, number> = {};
  for (const c of result.columns) versions[c.view] = c.version;
  let rows = '';
  let metadata = '';
  for (let j = 0; j < count; j++) {
    let row = '{';
    for (let k = 0; k < keyNames.length; k++) row += `${k ? ',' : ''}${keyNames[k]}:${JSON.stringify(result.keys[k][j])}`;
    let times = '';
    let statuses = '';
    for (let c = 0; c < prefixes.length; c++) {
      const sep = c ? ',' : '';
      row += `,${prefixes[c]}${jsonValue(result.values[c][j])}`;
      const ts = result.eventTimestamps[c][j];
      times += ts === null ? `${sep}${prefixes[c]}null` : `${sep}${prefixes[c]}"${ts}"`;
      statuses += `${sep}${prefixes[c]}"${result.statuses[c][j]}"`;
    }
    rows += `${j ? ',' : ''}${row}}`;
    metadata += `${j ? ',' : ''}{"eventTimestamps":{${times}},"statuses":{${statuses}}}`;
  }
  return `{"featureNames":[${[...keyNames, ...names].join(',')}],"versions":${JSON.stringify(versions)},"rows":[${rows}],"metadata":[${metadata}]}`;
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

/** Feast's `/get-online-features` answer: column-major, entity key columns first. */
export interface FeastOnlineResponse {
  readonly metadata: { feature_names: string[] };
  readonly results: Array<{ values: readonly OnlineValue[]; statuses: FeastStatus[]; event_timestamps: string[] }>;
}

// Feast's timestamp for the entity columns and for values without a row.
const EPOCH = '1970-01-01T00:00:00Z';

export function toFeastResponse(result: OnlineResult, fullFeatureNames: boolean): FeastOnlineResponse {
  const count = result.keys[0].length;
  const names = [...result.keyColumns, ...result.columns.map((c) => (fullFeatureNames ? c.name : c.feature))];
  const results: FeastOnlineResponse['results'] = result.keyColumns.map((_, k) => ({
    values: result.keys[k],
    statuses: new Array<FeastStatus>(count).fill('PRESENT'),
    event_timestamps: new Array<string>(count).fill(EPOCH),
  }));
  result.columns.forEach((_, c) => {
    const statuses: FeastStatus[] = new Array(count);
    const timestamps: string[] = new Array(count);
    for (let j = 0; j < count; j++) {
      const s = result.statuses[c][j];
      statuses[j] = s === 'NOT_FOUND' ? 'NOT_FOUND' : s === 'OUTSIDE_TTL' ? 'OUTSIDE_MAX_AGE' : result.values[c][j] === null ? 'NULL_VALUE' : 'PRESENT';
      timestamps[j] = feastTimestamp(result.eventTimestamps[c][j]);
    }
    results.push({ values: result.values[c], statuses, event_timestamps: timestamps });
  });
  return { metadata: { feature_names: names }, results };
}

// Feast prints whole seconds with a Z: 2021-03-01T00:00:00Z.
function feastTimestamp(iso: string | null): string {
  if (iso === null) return EPOCH;
  const dot = iso.indexOf('.');
  return dot < 0 ? iso : `${iso.slice(0, dot)}Z`;
}

/**
 * Feast's answer as JSON text, written the way Feast's server writes it: whole DOUBLE values keep
 * a `.0` (Feast's Python client infers a value's type from the JSON token, so `1` would reach a
 * pandas user as an int), NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
 */
export function feastResponseJson(result: OnlineResult, fullFeatureNames: boolean, withViewMetadata = false): string {
  const response = toFeastResponse(result, fullFeatureNames);
  const parts: string[] = [];
  response.results.forEach((column, c) => {
    const type = c < result.keyColumns.length ? 'VARCHAR' : result.columns[c - result.keyColumns.length].type;
    const values = type === 'DOUBLE' ? `[${column.values.map(feastDouble).join(',')}]` : JSON.stringify(column.values);
    parts.push(`{"values":${values},"statuses":${JSON.stringify(column.statuses)},"event_timestamps":${JSON.stringify(column.event_timestamps)}}`);
  });
  const metadata: Record<string, unknown> = { feature_names: response.metadata.feature_names };
  if (withViewMetadata) {
    const views = new Map(result.columns.map((c) => [c.view, c.version]));
    metadata.feature_view_metadata = [...views].map(([name, version]) => ({ name, version }));
  }
  return `{"results":[${parts.join(',')}],"metadata":${JSON.stringify(metadata)}}`;
}

function feastDouble(value: OnlineValue): string {
  if (typeof value !== 'number') return JSON.stringify(value);
  if (Number.isNaN(value)) return '"NaN"';
  if (!Number.isFinite(value)) return value > 0 ? '"Infinity"' : '"-Infinity"';
  const text = String(value);
  return Number.isInteger(value) && !text.includes('e') ? `${text}.0` : text;
}
