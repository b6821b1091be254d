import { describeTiming, parseBarTiming, timingForDataset } from './bar-timing';

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
  it('reads a calendar as session timing, refusing a close time, a zone or another kind beside it', () => {
    expect(parseBarTiming({ calendar: 'XNYS' })).toEqual({ kind: 'session', calendar: 'XNYS' });
    expect(describeTiming(parseBarTiming({ timeIs: 'session', calendar: '24/7' }))).toBe('session@24/7');
    expect(() => parseBarTiming({ calendar: 'NYSE' })).toThrow(/calendar must be one of XNYS, XNAS, 24\/7/);
    expect(() => parseBarTiming({ calendar: 'XNYS', closeTime: '16:00' })).toThrow(/drop close-time and timezone/);
    expect(() => parseBarTiming({ calendar: 'XNYS', timeIs: 'start', interval: '1d' })).toThrow(/calendar: .*time-is session/);
  });
});

describe('timingForDataset', () => {
  const daily = parseBarTiming({ interval: '1d' });
  it('leaves datasets without a calendar, intraday and close-time rows as they are', () => {
    expect(timingForDataset(daily, 'd', undefined)).toBe(daily);
    const hourly = parseBarTiming({ interval: '1h' });
    expect(timingForDataset(hourly, 'd', 'XNYS')).toBe(hourly);
    expect(timingForDataset({ kind: 'close' }, 'd', 'XNYS')).toEqual({ kind: 'close' });
  });
  it("turns every daily timing into the calendar's sessions, refusing one that contradicts it", () => {
    expect(timingForDataset(daily, 'd', 'XNYS')).toEqual({ kind: 'session', calendar: 'XNYS' });
    expect(timingForDataset(parseBarTiming({ timeIs: 'session' }), 'd', 'XNAS')).toEqual({ kind: 'session', calendar: 'XNAS' });
    expect(() => timingForDataset(parseBarTiming({ closeTime: '16:00', timeZone: 'Europe/London' }), 'd', 'XNYS')).toThrow(/not at 16:00 Europe\/London/);
    expect(() => timingForDataset(parseBarTiming({ calendar: '24/7' }), 'd', 'XNYS')).toThrow(/follows calendar XNYS; the ingest names calendar 24\/7/);
  });
});
