import { RateLimitedError } from '@app/features';
import { HeavySlots } from './heavy-slots';

describe('HeavySlots', () => {
  it('holds up to the limit per key and frees a slot on release (once, however often it is called)', () => {
    const slots = new HeavySlots();
    const first = slots.acquire('a', 2);
    slots.acquire('a', 2);
    expect(() => slots.acquire('a', 2)).toThrow(RateLimitedError);
    slots.acquire('b', 2); // another key is not affected
    first();
    first();
    expect(slots.inUse('a')).toBe(1);
    slots.acquire('a', 2);
    expect(() => slots.acquire('a', 2)).toThrow(RateLimitedError);
  });

  it('holds nothing when the limit is 0 (no limit)', () => {
    const slots = new HeavySlots();
    for (let i = 0; i < 100; i++) slots.acquire('a', 0);
    expect(slots.inUse('a')).toBe(0);
  });

  it('names the key and the kind of limit in the error', () => {
    const slots = new HeavySlots();
    slots.acquire('ci-bot', 1);
    try {
      slots.acquire('ci-bot', 1);
      throw new Error('expected RATE_LIMITED');
    } catch (error) {
      expect((error as RateLimitedError).details).toEqual({ limit: 'heavy', keyId: 'ci-bot', retryAfterSeconds: 1 });
      expect((error as RateLimitedError).message).toContain('ci-bot');
    }
  });
});
