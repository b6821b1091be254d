import { RateLimitedError } from '@app/features';
import { RequestRateLimiter } from './request-rate.limiter';

describe('RequestRateLimiter', () => {
  let now = 0;
  const limiter = () => new RequestRateLimiter(() => now);
  const retryOf = (fn: () => void): number => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(RateLimitedError);
      return (error as RateLimitedError).retryAfterSeconds;
    }
    throw new Error('expected RATE_LIMITED');
  };

  beforeEach(() => (now = 1_000_000));

  it('lets a burst through, refuses the next request, and earns requests back at the rate', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.take('a', { rps: 2, burst: 3 });
    expect(retryOf(() => l.take('a', { rps: 2, burst: 3 }))).toBe(1);
    now += 500; // half a second at 2/s earns one request
    l.take('a', { rps: 2, burst: 3 });
    expect(() => l.take('a', { rps: 2, burst: 3 })).toThrow(RateLimitedError);
  });

  it('keeps keys apart and never lets a bucket grow past its burst', () => {
    const l = limiter();
    l.take('a', { rps: 1, burst: 1 });
    expect(() => l.take('a', { rps: 1, burst: 1 })).toThrow(RateLimitedError);
    l.take('b', { rps: 1, burst: 1 });
    now += 3_600_000;
    l.take('a', { rps: 1, burst: 1 });
    expect(() => l.take('a', { rps: 1, burst: 1 })).toThrow(RateLimitedError);
  });

  it('says how many whole seconds until the next request at a slow rate', () => {
    const l = limiter();
    l.take('a', { rps: 0.1, burst: 1 });
    expect(retryOf(() => l.take('a', { rps: 0.1, burst: 1 }))).toBe(10);
    now += 4000;
    expect(retryOf(() => l.take('a', { rps: 0.1, burst: 1 }))).toBe(6);
  });

  it('does not count when the rate is 0 (no limit)', () => {
    const l = limiter();
    for (let i = 0; i < 10_000; i++) l.take('a', { rps: 0, burst: 1 });
  });
});
