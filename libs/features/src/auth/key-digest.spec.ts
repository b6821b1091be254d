import { createHash } from 'node:crypto';
import { parseKeyFile } from './api-key';
import { KEY_HASH_PATTERN, digestsEqual, keyDigest, keyHash, newApiKey } from './key-digest';

describe('key digests', () => {
  it('keyHash is sha256:<hex> of the UTF-8 key', () => {
    expect(keyHash('abc')).toBe(`sha256:${createHash('sha256').update('abc').digest('hex')}`);
    expect(keyHash('abc')).toMatch(KEY_HASH_PATTERN);
  });

  it('digestsEqual matches equal digests only, and never throws on a length mismatch', () => {
    expect(digestsEqual(keyDigest('k1'), keyDigest('k1'))).toBe(true);
    expect(digestsEqual(keyDigest('k1'), keyDigest('k2'))).toBe(false);
    expect(digestsEqual(keyDigest('k1'), keyDigest('k1').subarray(0, 31))).toBe(false);
    expect(digestsEqual(Buffer.alloc(0), keyDigest('k1'))).toBe(false);
  });

  it('new keys are random and long', () => {
    const a = newApiKey();
    expect(a).toMatch(/^fsk_[A-Za-z0-9_-]{43}$/);
    expect(newApiKey()).not.toBe(a);
  });
});

describe('parseKeyFile', () => {
  const good = { id: 'ci', keyHash: keyHash('x'), scopes: ['read'] };
  it('names the bad entry and field', () => {
    expect(() => parseKeyFile(JSON.stringify([good, { ...good, id: 'b', scopes: ['root'] }]), 'k.json')).toThrow(/^k\.json: entry \[1\] \(id b\): scopes\.0: /);
    expect(() => parseKeyFile(JSON.stringify([{ ...good, key: 'plain' }]), 'k.json')).toThrow(/entry \[0\] \(id ci\)/);
    expect(() => parseKeyFile(JSON.stringify([good, good]), 'k.json')).toThrow(/entry \[1\] \(id ci\): id is used twice/);
    expect(() => parseKeyFile('{', 'k.json')).toThrow(/k\.json: not valid JSON/);
    expect(() => parseKeyFile('{}', 'k.json')).toThrow(/must be a JSON array/);
    expect(() => parseKeyFile(JSON.stringify([{ ...good, datasets: ['bars[0-9]'] }]), 'k.json')).toThrow(/datasets\.0/);
    expect(() => parseKeyFile(JSON.stringify([{ ...good, id: 'anonymous' }]), 'k.json')).toThrow(/id: anonymous and local are reserved/);
  });
  it('accepts scopes and patterns', () => {
    expect(parseKeyFile(JSON.stringify([{ ...good, datasets: ['bars_*'], views: ['ret?'] }]), 'k.json')).toEqual([{ ...good, datasets: ['bars_*'], views: ['ret?'] }]);
  });
});
