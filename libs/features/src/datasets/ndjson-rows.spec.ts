import { InvalidArgumentError } from '../errors/feature-store.error';
import { MAX_ROW_COLUMNS, rowsToNdjson } from './ndjson-rows';

describe('rowsToNdjson', () => {
  it('writes one JSON line per row', () => {
    expect(rowsToNdjson([{ a: 1, b: 'x' }, { a: null }], 'body')).toBe('{"a":1,"b":"x"}\n{"a":null}');
  });

  it('refuses rows with more than MAX_ROW_COLUMNS columns between them, naming the row that passes the limit', () => {
    const wide = (from: number, count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`c${from + i}`, 1]));
    expect(rowsToNdjson([wide(0, MAX_ROW_COLUMNS)], 'body').length).toBeGreaterThan(0);
    expect(() => rowsToNdjson([wide(0, 600), wide(0, 600), wide(600, 401)], 'body')).toThrow(new InvalidArgumentError(`body[2]: the rows have more than ${MAX_ROW_COLUMNS} columns`, { field: 'body[2]' }));
  });

  it('refuses a row whose value is nested deeper than the stack, naming the row', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(() => rowsToNdjson([{ a: 1 }, { a: deep }], 'df')).toThrow(new InvalidArgumentError('df[1]: row 2 holds a value nested too deep', { field: 'df[1]' }));
  });
});
