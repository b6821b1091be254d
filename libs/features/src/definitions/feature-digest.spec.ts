import { defineFeatureView } from './feature-definition';
import { canonicalView, normaliseSql, viewDigest } from './feature-digest';

const base = defineFeatureView({
  name: 'ret',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '7d',
  sql: 'SELECT symbol, ts, close / lag(close) OVER w - 1 AS ret_1d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [{ name: 'ret_1d', type: 'DOUBLE', description: '1-day return' }],
});

describe('view digests', () => {
  it('ignore whitespace outside literals and a trailing semicolon', () => {
    const reformatted = { ...base, sql: `SELECT symbol,\n   ts,\tclose / lag(close) OVER w - 1 AS ret_1d\nFROM source\n  WINDOW w AS (PARTITION BY symbol ORDER BY ts);` };
    expect(viewDigest(reformatted)).toBe(viewDigest(base));
    expect(normaliseSql("SELECT  'a  b'  AS \"x  y\"")).toBe("SELECT 'a  b' AS \"x  y\"");
  });

  it('ignore metadata: description, owner, tags, feature descriptions', () => {
    const edited = { ...base, description: 'new', owner: 'me', tags: { team: 'x' }, features: [{ name: 'ret_1d', type: 'DOUBLE' as const, description: 'changed' }] };
    expect(viewDigest(edited)).toBe(viewDigest(base));
  });

  it.each([
    ['sql', { sql: base.sql.replace('- 1', '- 2') }],
    ['a literal inside the sql', { sql: base.sql.replace('ret_1d', "ret_1d, 'a  b' AS s") }],
    ['ttl', { ttl: '8d' }],
    ['no ttl', { ttl: null }],
    ['feature type', { features: [{ name: 'ret_1d', type: 'BIGINT' as const }] }],
    ['feature name', { features: [{ name: 'ret', type: 'DOUBLE' as const }] }],
    ['source', { source: 'bars_1h' }],
    ['timestamp column', { timestampColumn: 'event_ts' }],
    ['entity', { entity: 'pair' }],
    ['lookback', { lookback: '40d' }],
    ['kind label', { kind: 'label' as const }],
  ])('change with the %s', (_what, change) => {
    expect(viewDigest({ ...base, ...change })).not.toBe(viewDigest(base));
  });

  it('treat equal TTLs in other units as equal', () => {
    expect(viewDigest({ ...base, ttl: '1w' })).toBe(viewDigest(base));
    expect(viewDigest({ ...base, ttl: '168h' })).toBe(viewDigest(base));
  });

  it('treat equal lookbacks in other units as equal, and tell them from other lookbacks', () => {
    const withLookback = { ...base, lookback: '40d' };
    expect(viewDigest({ ...base, lookback: '960h' })).toBe(viewDigest(withLookback));
    expect(viewDigest({ ...base, lookback: '41d' })).not.toBe(viewDigest(withLookback));
  });

  it('keep the digest of a view without kind when it says kind feature, and hash the canonical form as before kinds existed', () => {
    expect(viewDigest({ ...base, kind: 'feature' })).toBe(viewDigest(base));
    expect(Object.keys(canonicalView(base))).not.toContain('kind');
    expect(canonicalView({ ...base, kind: 'label' })).toMatchObject({ kind: 'label' });
  });
});
