import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, FeatureStoreError, loadConfig } from '@app/features';
import { checkBind } from './auth/bind-policy';
import { createApi } from './server';
import { formatStartupSummary, StartupLogger, startupSummary } from './startup-summary';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before the app is created, so Nest's route list goes through it (and is dropped).
  Logger.overrideLogger(StartupLogger.at(config.logLevel));
  const access = checkBind(config);
  const { app, store } = await createApi(config);
  await app.listen(config.http.port, config.http.host);
  new Logger('Api').log(formatStartupSummary(await startupSummary(app, store, access)));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof FeatureStoreError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
