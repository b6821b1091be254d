import type { ApiKeyEntry } from '@app/features';
import { limitsOf } from './key-limits';

const entry = (limits?: ApiKeyEntry['limits']): ApiKeyEntry => ({ id: 'k', keyHash: `sha256:${'0'.repeat(64)}`, scopes: ['read'], limits });

describe('limitsOf', () => {
  const defaults = { rps: 100, burst: 200, heavy: 4 };

  it('uses RATE_LIMIT_* for a key without its own limits, and for no key', () => {
    expect(limitsOf(entry(), defaults)).toBe(defaults);
    expect(limitsOf(undefined, defaults)).toBe(defaults);
  });

  it("takes the key's own figures, and a burst of one second at the key's own rate", () => {
    expect(limitsOf(entry({ rps: 5 }), defaults)).toEqual({ rps: 5, burst: 5, heavy: 4 });
    expect(limitsOf(entry({ rps: 5, burst: 50, heavy: 0 }), defaults)).toEqual({ rps: 5, burst: 50, heavy: 0 });
    expect(limitsOf(entry({ heavy: 1 }), defaults)).toEqual({ rps: 100, burst: 200, heavy: 1 });
  });
});
