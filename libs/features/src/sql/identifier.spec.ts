import { assertIdentifier, quoteIdent, quoteSourceColumn } from './identifier';

describe('identifiers', () => {
  it.each(['bars_1d', 'close', '_x', 'A1'])('accepts %s', (name) => {
    expect(() => assertIdentifier(name, 'name')).not.toThrow();
    expect(quoteIdent(name)).toBe(`"${name}"`);
  });

  it.each([
    'bars-1d',
    '1bars',
    'x"; DROP TABLE t; --',
    "x' OR '1'='1",
    'a b',
    '',
    'x'.repeat(64),
    '../etc/passwd',
    'read_csv(\'/etc/passwd\')',
  ])('rejects %p', (name) => {
    expect(() => assertIdentifier(name, 'dataset')).toThrow(/dataset must match/);
  });

  it('escapes quotes in source column names', () => {
    expect(quoteSourceColumn('Adj "Close"')).toBe('"Adj ""Close"""');
  });
});
