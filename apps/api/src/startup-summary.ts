import type { AddressInfo } from 'node:net';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig, FeatureStore } from '@app/features';

/**
 * Nest's start-up chatter: every module initialised and every route mapped (about 60 lines that
 * bury what a user needs to know). Shown at LOG_LEVEL=debug; the summary replaces it otherwise.
 */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The console logger, without Nest's route list unless LOG_LEVEL is debug. */
export class StartupLogger extends ConsoleLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && QUIET_CONTEXTS.has(context) && !this.isLevelEnabled('debug')) return;
    super.log(message, ...optionalParams);
  }

  /** A logger at the configured level (Nest sets its levels again when the app is created). */
  static at(level: AppConfig['logLevel']): StartupLogger {
    const order: LogLevel[] = ['error', 'warn', 'log', 'debug'];
    return new StartupLogger({ logLevels: order.slice(0, order.indexOf(level) + 1) });
  }
}

/** What the API serves, gathered once it listens. */
export interface StartupSummary {
  readonly url: string;
  readonly dataDir: string;
  readonly access: string;
  readonly datasets: ReadonlyArray<{ name: string; rows: number; minTs: string | null; maxTs: string | null }>;
  readonly views: ReadonlyArray<{ name: string; latest: number; materialized: ReadonlyArray<{ version: number; end: string }> }>;
  readonly onlineStore: string;
}

/** The summary of a listening API: its URL, data, views and their materialised versions, online store. */
export async function startupSummary(app: NestFastifyApplication, store: FeatureStore, access: string): Promise<StartupSummary> {
  const views = [];
  for (const view of await store.features.list()) {
    const versions = (await store.features.get(view.name)).versions;
    const materialized = versions.flatMap((v) => (v.materialized ? [{ version: v.version, end: v.materialized.end }] : []));
    views.push({ name: view.name, latest: view.version, materialized });
  }
  const datasets = (await store.datasets.list()).map((d) => ({ name: d.name, rows: d.rows, minTs: d.minTs, maxTs: d.maxTs }));
  return { url: listeningUrl(app, store.config), dataDir: store.config.dataDir, access, datasets, views, onlineStore: onlineStoreName(store.config) };
}

/** The summary as one log message of a few lines. */
export function formatStartupSummary(s: StartupSummary): string {
  const day = (ts: string | null) => (ts ? ts.slice(0, 10) : '-');
  const datasets = s.datasets.length ? s.datasets.map((d) => `${d.name} (${d.rows} rows, ${day(d.minTs)} to ${day(d.maxTs)})`).join(', ') : 'none yet';
  const views = s.views.length ? s.views.map((v) => `${v.name}@${v.latest}`).join(', ') : 'none yet';
  const materialized = s.views.flatMap((v) => v.materialized.map((m) => `${v.name}@${m.version} to ${day(m.end)}`));
  return [
    `ready at ${s.url} (DATA_DIR=${s.dataDir})`,
    `  datasets: ${datasets}`,
    `  feature views: ${views}`,
    `  materialised: ${materialized.length ? materialized.join(', ') : 'nothing yet'}`,
    `  online store: ${s.onlineStore}`,
    `  access: ${s.access}`,
    `  try: curl ${s.url}/health`,
  ].join('\n');
}

// The URL to call: the port the server got (PORT=0 picks one), and localhost for a wildcard host.
function listeningUrl(app: NestFastifyApplication, config: AppConfig): string {
  const address = app.getHttpServer().address() as AddressInfo | string | null;
  const port = address !== null && typeof address === 'object' ? address.port : config.http.port;
  const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? 'localhost' : config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return `http://${host}:${port}`;
}

// The online store's name; a Redis URL loses its password.
function onlineStoreName(config: AppConfig): string {
  if (config.online.store === 'lmdb') return `lmdb (${config.dataDir}/online)`;
  try {
    const url = new URL(config.online.store);
    if (url.password) url.password = '***';
    return `redis ${url.toString()}`;
  } catch {
    return config.online.store;
  }
}
