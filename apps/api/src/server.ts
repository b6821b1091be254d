import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeyStore, bootstrapSampleData, FeatureStore, type AppConfig, type Clock } from '@app/features';
import { AppModule } from './app.module';
import { AuthEvents } from './auth/auth-events';
import { API_KEY_STORE } from './auth/auth.guard';
import { registerAuthHook } from './auth/auth.hook';
import { answerClientError } from './common/client-error';
import { registerContentParsers } from './common/content-parsers';
import { registerAnonymousRateLimit, RequestBudget } from './limits/rate-limit.hook';
import { ApiMetrics } from './metrics/api-metrics';

/**
 * Opens the stores, seeds the sample data on start (idempotent), and builds the Fastify-based
 * Nest app. Used by main.ts and by the end-to-end tests, which listen on port 0.
 */
export async function createApi(config: AppConfig, clock?: Clock): Promise<{ app: NestFastifyApplication; store: FeatureStore }> {
  Logger.overrideLogger(levels(config.logLevel));
  const logger = new Logger('Api');
  // A bad keys file stops start-up before any store is opened (the AuthModule reads it again).
  if (config.auth.keysFile !== undefined) ApiKeyStore.read(config.auth.keysFile);
  const store = await FeatureStore.open(config, clock);
  if (config.bootstrap.enabled) {
    const started = Date.now();
    const summaries = await bootstrapSampleData(store, config.bootstrap.samplesDir, config.bootstrap);
    for (const s of summaries) {
      logger.log(`bootstrap ${s.provider} → ${s.dataset}: ${s.accepted} rows accepted, ${s.rejected} rejected, ${s.skippedBatches} batches already present`);
    }
    logger.log(`bootstrap done in ${Date.now() - started} ms`);
  }
  // Path parameters longer than a name can be still reach the route, whose check answers a 400
  // naming the parameter (find-my-way would otherwise fail the match: a misleading 404). Node's
  // 16 KiB header limit bounds the URL anyway, and no route has a regex parameter to slow down.
  const adapter = new FastifyAdapter({ bodyLimit: config.http.bodyLimitBytes, routerOptions: { maxParamLength: 16 * 1024 }, clientErrorHandler: answerClientError });
  const metrics = new ApiMetrics();
  store.serving.observe(metrics);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forStore(store, metrics), adapter, {
    logger: levels(config.logLevel),
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  metrics.instrument(fastify);
  const keys = app.get<ApiKeyStore | null>(API_KEY_STORE);
  if (keys !== null) registerAuthHook(fastify, keys, app.get(AuthEvents), new RequestBudget(config.limits));
  else registerAnonymousRateLimit(fastify, config.limits);
  registerContentParsers(fastify);
  app.enableShutdownHooks();
  return { app, store };
}

function levels(level: AppConfig['logLevel']): Array<'error' | 'warn' | 'log' | 'debug'> {
  const order: Array<'error' | 'warn' | 'log' | 'debug'> = ['error', 'warn', 'log', 'debug'];
  return order.slice(0, order.indexOf(level) + 1);
}
