import { RateLimitedError, type RateLimits } from '@app/features';

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Requests per second per key, as a token bucket: a key may spend `burst` requests at once and
 * earns `rps` back each second. Buckets exist only for keys that made a request (known keys and
 * `anonymous`), so the map is as small as the keys file.
 */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Spends one request of `keyId`, or throws RATE_LIMITED saying when the next one is earned. */
  take(keyId: string, limits: Pick<RateLimits, 'rps' | 'burst'>): void {
    if (limits.rps <= 0) return;
    const now = this.now();
    const bucket = this.buckets.get(keyId) ?? { tokens: limits.burst, updatedMs: now };
    bucket.tokens = Math.min(limits.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * limits.rps);
    bucket.updatedMs = now;
    this.buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limits.rps));
    throw new RateLimitedError(`key ${keyId} is over its limit of ${limits.rps} requests per second (burst ${limits.burst}); retry in ${retryAfterSeconds} s`, retryAfterSeconds, {
      limit: 'requests',
      keyId,
      retryAfterSeconds,
    });
  }
}
