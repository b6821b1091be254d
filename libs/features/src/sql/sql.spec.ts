import { DuckDBStructValue } from '@duckdb/node-api';
import { fileLiteral, ident, joinSql, raw, sql } from './sql';

describe('sql tag', () => {
  it('keeps values out of the text and numbers nested fragments in order', () => {
    const where = sql`symbol = ${"a'b"} AND ts <= ${new Date('2024-01-02T00:00:00Z')}`;
    const q = sql`SELECT ${ident('close')} FROM ${raw('source')} WHERE ${where} LIMIT ${5}`;
    const { text, params } = q.render();
    expect(text).toBe('SELECT "close" FROM source WHERE symbol = $1 AND ts <= $2 LIMIT $3');
    expect(params).toHaveLength(3);
    expect(params[0]).toBe("a'b");
  });

  it('binds an object of strings as a STRUCT, its keys never in the text', () => {
    const { text, params } = sql`read_csv('x.csv', types = ${{ "Adj 'Close": 'DOUBLE' }})`.render();
    expect(text).toBe("read_csv('x.csv', types = $1)");
    expect(params[0]).toBeInstanceOf(DuckDBStructValue);
    expect((params[0] as DuckDBStructValue).entries).toEqual({ "Adj 'Close": 'DOUBLE' });
  });

  it('refuses identifiers outside the whitelist', () => {
    expect(() => ident('a"; DROP TABLE x; --')).toThrow(/identifier must match/);
  });

  it('quotes file paths as literals', () => {
    expect(fileLiteral("/tmp/o'clock.parquet").toString()).toBe("'/tmp/o''clock.parquet'");
    expect(joinSql([raw('a'), raw('b')], ' | ').toString()).toBe('a | b');
  });
});
