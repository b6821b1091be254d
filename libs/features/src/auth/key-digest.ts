import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The stored form of a key: `sha256:<64 hex digits>`. */
export const KEY_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** SHA-256 digest of a presented key. */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The `sha256:<hex>` form of a key, as written to the keys file. */
export function keyHash(key: string): string {
  return `sha256:${keyDigest(key).toString('hex')}`;
}

/** Compares two digests in constant time; digests of another length never match. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  // Both are SHA-256 digests, so the length check leaks nothing about the key.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A new random key (32 bytes, base64url), shown once to the operator who creates it. */
export function newApiKey(): string {
  return `fsk_${randomBytes(32).toString('base64url')}`;
}
