import { InvalidArgumentError } from '../errors/feature-store.error';
import { MAX_ROW_COLUMNS } from './ndjson-rows';
import { assertTableWidth } from './table-width';

const names = (n: number, sep = ',') => Array.from({ length: n }, (_, i) => `c${i}`).join(sep);

describe('assertTableWidth', () => {
  it('lets through tables up to MAX_ROW_COLUMNS columns, whatever the delimiter', () => {
    for (const sep of [',', ';', '\t', '|']) expect(() => assertTableWidth(`${names(MAX_ROW_COLUMNS, sep)}\n1\n`, 'csv', 'body')).not.toThrow();
    expect(() => assertTableWidth(JSON.stringify(Object.fromEntries(names(MAX_ROW_COLUMNS).split(',').map((c) => [c, 1]))), 'ndjson', 'body')).not.toThrow();
  });

  it('refuses a wider CSV or NDJSON first line, naming the field and the count', () => {
    expect(() => assertTableWidth(Buffer.from(`${names(20_000, ';')}\n`), 'csv', 'body')).toThrow(new InvalidArgumentError(`body: the table has 20000 columns, more than ${MAX_ROW_COLUMNS}`, { field: 'body' }));
    expect(() => assertTableWidth(`${JSON.stringify(Object.fromEntries(names(1_001).split(',').map((c) => [c, 1])))}\n{}`, 'ndjson', 'entities')).toThrow(/entities: the table has 1001 columns/);
  });

  it('counts no delimiter inside quotes, and leaves other formats and broken lines to DuckDB', () => {
    expect(() => assertTableWidth(`"${','.repeat(5_000)}",b\n`, 'csv', 'body')).not.toThrow();
    expect(() => assertTableWidth(Buffer.from(names(5_000)), 'parquet', 'body')).not.toThrow();
    expect(() => assertTableWidth('{"a": ', 'ndjson', 'body')).not.toThrow();
  });
});
