import type { MaterializationState } from '../registry/materialization.repository';
import { WINDOW_JOIN_MAX_CANDIDATES, chooseJoinPlan, windowCandidates } from './training-set.planner';

const DAY = 86_400;
// Ten years of daily bars of 5,000 symbols, as in the training-set benchmark.
const state: MaterializationState = { start: '2016-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z', rows: 5000 * 2520, updatedAt: '2026-01-01T00:00:00Z', keys: 5000, sourceSeq: 1, revisedRows: 0 };

describe('training-set plan choice', () => {
  it('counts the offline rows of a key in two TTL-wide buckets', () => {
    const span = (Date.parse(state.end) - Date.parse(state.start)) / 1000;
    expect(windowCandidates(state.rows, 5000, state, 3 * DAY)).toBeCloseTo((2520 * 6 * DAY) / span, 9);
    // A TTL longer than the data: the whole history of a key, twice.
    expect(windowCandidates(100, 1, { start: state.start, end: state.start }, DAY)).toBe(200);
  });

  it('takes the TTL-window join for daily bars and a TTL of days', () => {
    expect(chooseJoinPlan({ ttlSeconds: 3 * DAY, offlineRows: state.rows, entityRows: 1_000_000, state })).toEqual({ windowJoin: true, prefilter: false });
  });

  it('takes the ASOF JOIN when a TTL window holds many rows of a key, or without a TTL', () => {
    const minuteBars = { ...state, rows: 5000 * 2520 * 1440 };
    expect(windowCandidates(minuteBars.rows, 5000, minuteBars, 3 * DAY)).toBeGreaterThan(WINDOW_JOIN_MAX_CANDIDATES);
    expect(chooseJoinPlan({ ttlSeconds: 3 * DAY, offlineRows: minuteBars.rows, entityRows: 1_000_000, state: minuteBars }).windowJoin).toBe(false);
    expect(chooseJoinPlan({ ttlSeconds: null, offlineRows: state.rows, entityRows: 1_000_000, state }).windowJoin).toBe(false);
    expect(chooseJoinPlan({ ttlSeconds: 3 * DAY, offlineRows: state.rows, entityRows: 1_000_000, state: undefined }).windowJoin).toBe(false);
    expect(chooseJoinPlan({ ttlSeconds: 3 * DAY, offlineRows: 0, entityRows: 10, state }).windowJoin).toBe(false);
  });

  it('drops rows outside the TTL windows first only when the entity frame is small next to the offline rows', () => {
    const noWindow = { ttlSeconds: null, state: undefined };
    expect(chooseJoinPlan({ ...noWindow, offlineRows: 1_000_000, entityRows: 49_999 }).prefilter).toBe(true);
    expect(chooseJoinPlan({ ...noWindow, offlineRows: 1_000_000, entityRows: 50_000 }).prefilter).toBe(false);
  });
});
