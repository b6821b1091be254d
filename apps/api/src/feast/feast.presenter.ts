import type { OnlineResult, OnlineRow, OnlineStatus, OnlineValue } from '@app/features';
import { layout, Pieces, type ColumnRun } from '../online/response-layout';

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
    // One entry per view version: a view asked at two versions is listed twice.
    const views = new Map(result.columns.map((c) => [`${c.view}@${c.version}`, { name: c.view, version: c.version }]));
    metadata.feature_view_metadata = [...views.values()];
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
