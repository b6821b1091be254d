import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import { referenceColumns } from './drift.service';
import { sameValue } from './consistency.service';

const manifest = (features: TrainingSetManifest['features'], columns: string[]): TrainingSetManifest => ({
  id: 'tset-1',
  digest: 'd',
  entityDigest: 'e',
  rowCount: 1,
  createdAt: '2024-01-01T00:00:00Z',
  pointInTime: 'event',
  timestampColumn: 'ts',
  features,
  columns,
  file: '/nowhere.parquet',
});

describe('referenceColumns', () => {
  it('finds view__feature, and view@N__feature when the set holds the feature at several versions', () => {
    const m = manifest(
      [
        { view: 'returns', version: 1, feature: 'ret_1d' },
        { view: 'returns', version: 2, feature: 'ret_1d' },
        { view: 'returns', version: 2, feature: 'ret_5d' },
      ],
      ['symbol', 'ts', 'returns@1__ret_1d', 'returns@2__ret_1d', 'returns__ret_5d'],
    );
    expect(referenceColumns(m, 'returns', 2, ['ret_1d', 'ret_5d', 'ret_20d'])).toEqual([
      { feature: 'ret_1d', column: 'returns@2__ret_1d' },
      { feature: 'ret_5d', column: 'returns__ret_5d' },
    ]);
    expect(referenceColumns(m, 'returns', 1, ['ret_1d', 'ret_5d'])).toEqual([{ feature: 'ret_1d', column: 'returns@1__ret_1d' }]);
  });

  it('is a 422 naming reference when the set holds no feature of the version', () => {
    const m = manifest([{ view: 'returns', version: 1, feature: 'ret_1d' }], ['symbol', 'ts', 'returns__ret_1d']);
    expect(() => referenceColumns(m, 'returns', 3, ['ret_1d'])).toThrow(expect.objectContaining({ code: 'UNKNOWN_REFERENCE', details: expect.objectContaining({ field: 'reference' }) }));
    expect(() => referenceColumns(m, 'volatility', 1, ['ret_1d'])).toThrow(/holds no feature of volatility@1/);
  });
});

describe('sameValue', () => {
  it('takes doubles within a relative 1e-9 and nothing else as equal', () => {
    expect(sameValue(0.1 + 0.2, 0.3)).toBe(true);
    expect(sameValue(1e6, 1e6 + 1e-4)).toBe(true);
    expect(sameValue(1e6, 1e6 + 1)).toBe(false);
    expect(sameValue(Number.NaN, Number.NaN)).toBe(true);
    expect(sameValue(0, null)).toBe(false);
    expect(sameValue(true, 'true')).toBe(false);
    expect(sameValue('a', 'a')).toBe(true);
  });
});
