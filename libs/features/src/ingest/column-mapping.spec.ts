import { barSchema } from '../datasets/dataset.schema';
import { ErrorCode, UnprocessableError } from '../errors/feature-store.error';
import { normaliseColumnName, parseMappingOption, resolveMapping } from './column-mapping';

const text = (names: string[]) => names.map((name) => ({ name, type: 'VARCHAR' }));
const originOf = (m: ReturnType<typeof resolveMapping>, column: string) => m.columns.find((c) => c.spec.name === column)!.origin;

describe('resolveMapping', () => {
  it('maps the vendor layout Date,High,Low,Open,Close,Volume,Adj Close with a constant symbol', () => {
    const m = resolveMapping(barSchema('bars_1d'), text(['Date', 'High', 'Low', 'Open', 'Close', 'Volume', 'Adj Close']), {}, { symbol: 'BTC-USD' });
    expect(originOf(m, 'ts')).toEqual({ source: { name: 'Date', type: 'VARCHAR' } });
    expect(originOf(m, 'adj_close')).toEqual({ source: { name: 'Adj Close', type: 'VARCHAR' } });
    expect(originOf(m, 'symbol')).toEqual({ constant: 'BTC-USD' });
    expect(m.ignored).toEqual([]);
  });

  it('uses an explicit mapping over names and reports unmapped columns', () => {
    const m = resolveMapping(barSchema('b'), text(['ticker', 'when', 'o', 'h', 'l', 'last', 'qty', 'note']), parseMappingOption('ts=when,close=last,volume=qty'), {});
    expect(originOf(m, 'ts')).toEqual({ source: { name: 'when', type: 'VARCHAR' } });
    expect(originOf(m, 'close')).toEqual({ source: { name: 'last', type: 'VARCHAR' } });
    expect(originOf(m, 'symbol')).toEqual({ source: { name: 'ticker', type: 'VARCHAR' } });
    expect(originOf(m, 'adj_close')).toEqual({ absent: true });
    expect(m.ignored).toEqual(['note']);
  });

  it('names the missing required column', () => {
    const run = () => resolveMapping(barSchema('b'), text(['symbol', 'ts', 'open', 'high', 'low', 'volume']), {}, {});
    expect(run).toThrow(UnprocessableError);
    expect(run).toThrow(/^close: no source column/);
    try {
      run();
    } catch (e) {
      expect((e as UnprocessableError).code).toBe(ErrorCode.MissingColumn);
    }
  });

  it('rejects a mapping to a column the source lacks', () => {
    expect(() => resolveMapping(barSchema('b'), text(['symbol', 'ts']), { close: 'Last' }, {})).toThrow(/no column "Last"/);
  });

  it('rejects a type that cannot hold the declared one', () => {
    const cols = [...text(['symbol', 'ts', 'open', 'high', 'low', 'volume']), { name: 'close', type: 'BOOLEAN' }];
    expect(() => resolveMapping(barSchema('b'), cols, {}, {})).toThrow(/column close: the batch has BOOLEAN/);
  });

  it('normalises vendor headers', () => {
    expect(normaliseColumnName(' Adj Close ')).toBe('adj_close');
    expect(normaliseColumnName('Open-Time')).toBe('open_time');
  });
});
