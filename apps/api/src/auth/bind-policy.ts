import { ConfigError, type AppConfig } from '@app/features';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Refuses to serve an unauthenticated API beyond this machine unless AUTH=off says so; returns
 * the line to log about access control at start.
 */
export function checkBind(config: AppConfig): string {
  const { host } = config.http;
  const { mode, keysFile } = config.auth;
  if (mode === 'off' && keysFile !== undefined) throw new ConfigError('AUTH=off and AUTH_KEYS_FILE are both set: unset one of them');
  if (mode === 'on' && keysFile === undefined) throw new ConfigError('AUTH=on needs AUTH_KEYS_FILE (create keys with npm run keys -- create)');
  if (keysFile !== undefined) return `access control on: keys from ${keysFile}`;
  if (!LOOPBACK.has(host) && mode !== 'off') {
    throw new ConfigError(
      `HOST=${host}: refusing to serve without authentication on a non-loopback address; set AUTH_KEYS_FILE (see README "Access control"), bind HOST=127.0.0.1, or set AUTH=off to serve unauthenticated anyway`,
    );
  }
  return `access control off (no AUTH_KEYS_FILE): every request is allowed; ${LOOPBACK.has(host) ? 'bound to loopback only' : `AUTH=off, reachable on ${host}`}`;
}
