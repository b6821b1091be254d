import { InvalidArgumentError } from '../errors/feature-store.error';

/**
 * Row objects from a request as NDJSON for DuckDB to read. A value nested thousands deep
 * overflows JSON.stringify's stack: that row is a 400 naming it (`field[i]`, row i + 1), not a 500.
 */
export function rowsToNdjson(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, field: string): string {
  return rows
    .map((row, i) => {
      try {
        return JSON.stringify(row);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw new InvalidArgumentError(`${field}[${i}]: row ${i + 1} holds a value nested too deep`, { field: `${field}[${i}]` });
      }
    })
    .join('\n');
}
