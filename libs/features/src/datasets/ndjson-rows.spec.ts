import { InvalidArgumentError } from '../errors/feature-store.error';
import { rowsToNdjson } from './ndjson-rows';

describe('rowsToNdjson', () => {
  it('writes one JSON line per row', () => {
    expect(rowsToNdjson([{ a: 1, b: 'x' }, { a: null }], 'body')).toBe('{"a":1,"b":"x"}\n{"a":null}');
  });

  it('refuses a row whose value is nested deeper than the stack, naming the row', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(() => rowsToNdjson([{ a: 1 }, { a: deep }], 'df')).toThrow(new InvalidArgumentError('df[1]: row 2 holds a value nested too deep', { field: 'df[1]' }));
  });
});
