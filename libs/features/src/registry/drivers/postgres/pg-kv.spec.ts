import { prefixEnd } from './pg-kv';
import { isUnavailable } from './pg.pool';

// Byte order of UTF-8, as COLLATE "C" compares (the reference for the range bounds).
const bytes = (s: string) => Buffer.from(s, 'utf8');
const before = (a: string, b: string) => Buffer.compare(bytes(a), bytes(b)) < 0;

describe('prefixEnd', () => {
  it('bounds exactly the keys that start with the prefix, in byte order', () => {
    const prefixes = ['run/', 'run/r1/', 'pending-entry/online\u001f', 'a'];
    const keys = ['run', 'run/', 'run/r1/t', 'run/r10/t', 'run/r1', 'run0', 'run.', 'run/\uffff', 'run/株', 'pending-entry/online\u001fBTC', 'pending-entry/online ', 'pending-entry/onlinf', 'a', 'ab', 'b', '', 'a\u{1f600}'];
    for (const prefix of prefixes) {
      for (const key of keys) {
        const inRange = !before(key, prefix) && before(key, prefixEnd(prefix));
        expect({ prefix, key, inRange }).toEqual({ prefix, key, inRange: key.startsWith(prefix) });
      }
    }
  });
});

describe('isUnavailable', () => {
  it('tells a server that is not there from a statement that is wrong', () => {
    expect(isUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))).toBe(false);
    expect(isUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isUnavailable(new Error('something else'))).toBe(false);
  });
});
