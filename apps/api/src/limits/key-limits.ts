import type { ApiKeyEntry, RateLimits } from '@app/features';

/** The limits of a key: its own from the keys file where it has them, else RATE_LIMIT_*. */
export function limitsOf(entry: ApiKeyEntry | undefined, defaults: RateLimits): RateLimits {
  const own = entry?.limits;
  if (own === undefined) return defaults;
  const rps = own.rps ?? defaults.rps;
  return { rps, burst: own.burst ?? (own.rps === undefined ? defaults.burst : Math.max(1, Math.ceil(rps))), heavy: own.heavy ?? defaults.heavy };
}

/** DI token of the configured RateLimits (RATE_LIMIT_*). */
export const RATE_LIMITS = Symbol('RATE_LIMITS');
