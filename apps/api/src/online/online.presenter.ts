import type { OnlineResult, OnlineRow, OnlineStatus, OnlineValue } from '@app/features';
import { layout, Pieces, TIMES_CACHE_LIMIT, type ColumnRun } from './response-layout';

/** `POST /v1/online-features` answer (docs/api.md): one object per entity, with per-value metadata. */
export interface OnlineResponse {
  readonly featureNames: string[];
  readonly versions: Record<string, number>;
  readonly rows: Array<Record<string, OnlineValue>>;
  readonly metadata: Array<{ eventTimestamps: Record<string, string | null>; statuses: Record<string, OnlineStatus> }>;
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
