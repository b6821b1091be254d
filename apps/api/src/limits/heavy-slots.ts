import { RateLimitedError } from '@app/features';

/**
 * Concurrent heavy requests per key (training sets and their data, materialisation jobs): each
 * holds a slot until its work ends, so one client cannot take every core and all the memory.
 */
export class HeavySlots {
  private readonly held = new Map<string, number>();

  /** Takes a slot of `keyId` and returns its release (safe to call twice), or throws RATE_LIMITED. */
  acquire(keyId: string, limit: number): () => void {
    if (limit <= 0) return () => undefined;
    const inUse = this.held.get(keyId) ?? 0;
    if (inUse >= limit) {
      // How long a heavy request takes is unknown here; a short delay keeps a polling client cheap.
      const retryAfterSeconds = 1;
      throw new RateLimitedError(`key ${keyId} already runs ${inUse} heavy requests (training sets, materialisation), its limit; retry when one ends`, retryAfterSeconds, {
        limit: 'heavy',
        keyId,
        retryAfterSeconds,
      });
    }
    this.held.set(keyId, inUse + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(keyId) ?? 1) - 1;
      if (left <= 0) this.held.delete(keyId);
      else this.held.set(keyId, left);
    };
  }

  /** Slots held by `keyId` now. */
  inUse(keyId: string): number {
    return this.held.get(keyId) ?? 0;
  }
}
