import { InvalidArgumentError } from '../errors/feature-store.error';

/** Most columns a table of JSON rows may have: DuckDB took seconds to read 20,000 (a 300 KB body). */
export const MAX_ROW_COLUMNS = 1_000;

/**
 * Row objects from a request as NDJSON for DuckDB to read; 400 naming the row (`field[i]`, row
 * i + 1) for rows that together have over MAX_ROW_COLUMNS columns, or a value nested so deep
 * that JSON.stringify overflows its stack.
 */
export function rowsToNdjson(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, field: string): string {
  const columns = new Set<string>();
  return rows
    .map((row, i) => {
      for (const name in row) columns.add(name);
      if (columns.size > MAX_ROW_COLUMNS) throw new InvalidArgumentError(`${field}[${i}]: the rows have more than ${MAX_ROW_COLUMNS} columns`, { field: `${field}[${i}]` });
      try {
        return JSON.stringify(row);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw new InvalidArgumentError(`${field}[${i}]: row ${i + 1} holds a value nested too deep`, { field: `${field}[${i}]` });
      }
    })
    .join('\n');
}
