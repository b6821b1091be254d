import { describeTiming, parseBarTiming } from './bar-timing';

describe('parseBarTiming', () => {
  it('requires an interval for start times, and explains why', () => {
    expect(() => parseBarTiming({})).toThrow(/interval is required.*known at its close/);
  });
  it('reads start, close and session timings', () => {
    expect(describeTiming(parseBarTiming({ interval: '1d' }))).toBe('start+1d');
    expect(describeTiming(parseBarTiming({ timeIs: 'close' }))).toBe('close');
    expect(describeTiming(parseBarTiming({ closeTime: '16:00', timeZone: 'America/New_York' }))).toBe('session@16:00 America/New_York');
  });
  it('rejects bad close times and zones naming the option', () => {
    expect(() => parseBarTiming({ timeIs: 'session', closeTime: '25:00' })).toThrow(/close-time/);
    expect(() => parseBarTiming({ timeIs: 'session', timeZone: 'Mars/Olympus' })).toThrow(/timezone/);
    expect(() => parseBarTiming({ timeIs: 'whenever', interval: '1d' })).toThrow(/time-is/);
  });
});
