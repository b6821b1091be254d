import { ConfigError, type AppConfig } from '@app/features';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Refuses to serve an unauthenticated API beyond this machine unless AUTH=off says so; returns
 * the line to log about access control at start.
 */
export function checkBind(config: AppConfig): string {
  const { host } = config.http;
  if (config.auth.keysFile !== undefined) return `access control on: keys from ${config.auth.keysFile}`;
  if (!LOOPBACK.has(host) && !config.auth.explicitlyOff) {
    throw new ConfigError(
      `HOST=${host}: refusing to serve without authentication on a non-loopback address; set AUTH_KEYS_FILE (see README "Access control"), bind HOST=127.0.0.1, or set AUTH=off to serve unauthenticated anyway`,
    );
  }
  return `access control off (no AUTH_KEYS_FILE): every request is allowed; ${LOOPBACK.has(host) ? 'bound to loopback only' : `AUTH=off, reachable on ${host}`}`;
}
