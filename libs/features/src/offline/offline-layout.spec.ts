import { isOfflineFile, isRevisionFile, partFileName, partRange, revisionFileName, stagingFileName } from './offline-layout';

describe('offline layout', () => {
  const range = { lo: new Date('2024-01-02T03:04:05.678Z'), hi: new Date('2024-02-01T00:00:00Z') };

  it('names a part by its range, to the second, and reads the range back', () => {
    const name = partFileName(range, 'a1b2c3');
    expect(name).toBe('20240102T030405Z_20240201T000000Z_a1b2c3.parquet');
    expect(partRange(name)).toEqual({ lo: Date.parse('2024-01-02T03:04:05Z') / 1000, hi: Date.parse('2024-02-01T00:00:00Z') / 1000 });
    expect(isOfflineFile(name)).toBe(true);
    expect(isRevisionFile(name)).toBe(false);
  });

  it('names revisions apart, ordered by source seq, and gives them no part range', () => {
    const early = revisionFileName(9, range, 'ff');
    const late = revisionFileName(10, range, '00');
    expect(isRevisionFile(early)).toBe(true);
    expect(isOfflineFile(early)).toBe(true);
    expect(partRange(early)).toBeNull();
    expect([late, early].sort()).toEqual([early, late]);
  });

  it('keeps staging files away from readers', () => {
    const name = stagingFileName('abc');
    expect(isOfflineFile(name)).toBe(false);
    expect(partRange(name)).toBeNull();
    expect(isOfflineFile('notes.txt')).toBe(false);
  });
});
