import type { MaterializationState } from '../registry/materialization.repository';
import { missingParts } from './materialization.planner';

describe('missingParts', () => {
  const at = (day: number) => new Date(Date.UTC(2024, 0, day));
  const state = (start: number, end: number): MaterializationState => ({
    start: at(start).toISOString(),
    end: at(end).toISOString(),
    rows: 1,
    updatedAt: at(end).toISOString(),
    sourceSeq: 1,
    revisedRows: 0,
    keys: 1,
  });

  it('computes the whole range when nothing is materialised', () => {
    expect(missingParts({ start: at(1), end: at(9) }, undefined)).toEqual([{ lo: at(1), loInclusive: true, hi: at(9), hiInclusive: true }]);
  });

  it('computes only the stretches before and after the materialised range, its bounds left out', () => {
    expect(missingParts({ start: at(1), end: at(9) }, state(3, 5))).toEqual([
      { lo: at(1), loInclusive: true, hi: at(3), hiInclusive: false },
      { lo: at(5), loInclusive: false, hi: at(9), hiInclusive: true },
    ]);
  });

  it('computes nothing inside the materialised range', () => {
    expect(missingParts({ start: at(3), end: at(5) }, state(1, 9))).toEqual([]);
  });
});
