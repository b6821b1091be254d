import { InvalidArgumentError } from '../errors/feature-store.error';
import { MAX_ROW_COLUMNS } from './ndjson-rows';

// The header line is looked for within this many bytes; a longer first line is left to DuckDB.
const HEADER_SCAN_BYTES = 4 * 1024 * 1024;
const CSV_DELIMITERS = [0x2c, 0x3b, 0x09, 0x7c]; // , ; tab |

/**
 * Refuses a CSV or NDJSON table whose first line has more than MAX_ROW_COLUMNS columns before
 * DuckDB reads it: its CSV sniffer took seconds for 20,000 columns (a 120 KB body). CSV fields
 * are counted for each delimiter DuckDB may pick, outside quotes, and the most is taken; other
 * formats are not checked.
 */
export function assertTableWidth(bytes: Buffer | string, format: string, field: string): void {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const end = firstLineEnd(data);
  if (end < 0) return;
  let columns = 0;
  if (format === 'csv') {
    const counts = new Array<number>(CSV_DELIMITERS.length).fill(1);
    let quoted = false;
    for (let i = 0; i < end; i++) {
      const byte = data[i];
      if (byte === 0x22) quoted = !quoted;
      else if (!quoted) CSV_DELIMITERS.forEach((d, k) => (counts[k] += byte === d ? 1 : 0));
    }
    columns = Math.max(...counts);
  } else if (format === 'ndjson') {
    try {
      const first: unknown = JSON.parse(data.subarray(0, end).toString('utf8'));
      if (first !== null && typeof first === 'object' && !Array.isArray(first)) columns = Object.keys(first).length;
    } catch {
      return; // DuckDB names the problem
    }
  }
  if (columns > MAX_ROW_COLUMNS) throw new InvalidArgumentError(`${field}: the table has ${columns} columns, more than ${MAX_ROW_COLUMNS}`, { field });
}

// The end of the first line (a CSV header may hold quoted line breaks; they are rare enough to ignore).
function firstLineEnd(data: Buffer): number {
  const limit = Math.min(data.length, HEADER_SCAN_BYTES);
  const newline = data.subarray(0, limit).indexOf(0x0a);
  return newline >= 0 ? newline : data.length <= HEADER_SCAN_BYTES ? data.length : -1;
}
