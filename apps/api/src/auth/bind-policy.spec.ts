import { loadConfig } from '@app/features';
import { checkBind } from './bind-policy';
import { bearerToken } from './auth.guard';

describe('checkBind (the safe default)', () => {
  const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/x', ...env });
  it('binds to loopback by default and says it is unauthenticated', () => {
    expect(config({}).http.host).toBe('127.0.0.1');
    expect(checkBind(config({}))).toMatch(/access control off/);
  });
  it('refuses another address without keys unless AUTH=off', () => {
    expect(() => checkBind(config({ HOST: '0.0.0.0' }))).toThrow(/refusing to serve without authentication/);
    expect(checkBind(config({ HOST: '0.0.0.0', AUTH: 'off' }))).toMatch(/AUTH=off/);
    expect(checkBind(config({ HOST: '0.0.0.0', AUTH_KEYS_FILE: '/tmp/keys.json' }))).toMatch(/access control on/);
  });
  it('refuses contradictory settings', () => {
    expect(() => checkBind(config({ AUTH: 'off', AUTH_KEYS_FILE: '/tmp/keys.json' }))).toThrow(/both set/);
    expect(() => checkBind(config({ AUTH: 'on' }))).toThrow(/AUTH=on needs AUTH_KEYS_FILE/);
    expect(checkBind(config({ AUTH: 'on', AUTH_KEYS_FILE: '/tmp/keys.json' }))).toMatch(/access control on/);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer  abc ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['abc', undefined],
  ])('%j → %j', (header, key) => expect(bearerToken(header)).toBe(key));
  it('no header, no key', () => expect(bearerToken(undefined)).toBeUndefined());
});
