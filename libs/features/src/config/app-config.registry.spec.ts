import { ConfigError, loadConfig } from './app-config';

describe('registry configuration', () => {
  it('is the embedded registry without REGISTRY_URL, with the documented defaults', () => {
    expect(loadConfig({}).registry).toEqual({ url: undefined, poolSize: 10, timeoutMs: 5000 });
  });

  it('takes a PostgreSQL URL, a pool size and a timeout', () => {
    const env = { REGISTRY_URL: 'postgres://fs:secret@db:5432/features', REGISTRY_POOL_SIZE: '4', REGISTRY_TIMEOUT_MS: '1500' };
    expect(loadConfig(env).registry).toEqual({ url: 'postgres://fs:secret@db:5432/features', poolSize: 4, timeoutMs: 1500 });
    expect(loadConfig({ REGISTRY_URL: 'postgresql://db/features' }).registry.url).toBe('postgresql://db/features');
  });

  it.each([
    ['REGISTRY_URL', 'mysql://db/x'],
    ['REGISTRY_URL', 'db:5432'],
    ['REGISTRY_POOL_SIZE', '0'],
    ['REGISTRY_TIMEOUT_MS', 'soon'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });
});
