import { InvalidArgumentError } from '../errors/feature-store.error';
import { addDays, parseDuration, parseUtc, utcDay } from './time';

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['36h', 129600],
    ['1d', 86400],
    ['7d', 604800],
    ['2w', 1209600],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseDuration(text, 'ttl').seconds).toBe(seconds);
  });

  it.each(['', '1', 'd', '1y', '-1d', '1.5d', '0d', 'one day'])('rejects %p naming the field', (text) => {
    expect(() => parseDuration(text, 'ttl')).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text, 'ttl')).toThrow(/ttl/);
  });
});

describe('parseUtc', () => {
  it('treats naive dates and timestamps as UTC', () => {
    expect(parseUtc('2021-04-01', 'since').toISOString()).toBe('2021-04-01T00:00:00.000Z');
    expect(parseUtc('2021-04-01 10:59:42', 'since').toISOString()).toBe('2021-04-01T10:59:42.000Z');
  });
  it('honours offsets', () => {
    expect(parseUtc('2021-04-01T16:00:00-04:00', 'ts').toISOString()).toBe('2021-04-01T20:00:00.000Z');
  });
  it('rejects garbage naming the field', () => {
    expect(() => parseUtc('yesterday', 'since')).toThrow(/since/);
    expect(() => parseUtc('2021-13-45', 'since')).toThrow(InvalidArgumentError);
  });
  it('accepts times from 1900-01-01 up to, not including, 2200-01-01', () => {
    expect(parseUtc('1900-01-01', 'start').toISOString()).toBe('1900-01-01T00:00:00.000Z');
    expect(parseUtc('2199-12-31T23:59:59.999Z', 'end').toISOString()).toBe('2199-12-31T23:59:59.999Z');
  });
  it.each(['1899-12-31T23:59:59Z', '1900-01-01T00:30:00+01:00', '2200-01-01', '9999-12-31', '0001-01-01'])(
    'rejects %p outside 1900..2200 as bad input naming the field',
    (text) => {
      let error: unknown;
      try {
        parseUtc(text, 'entities.start');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).message).toMatch(/^entities\.start must lie from 1900-01-01 up to 2200-01-01/);
      expect((error as InvalidArgumentError).details).toEqual({ field: 'entities.start' });
    },
  );
  it('computes calendar days in UTC', () => {
    expect(utcDay(addDays(new Date('2021-12-31T23:00:00Z'), 1))).toBe('2022-01-01');
  });
});
