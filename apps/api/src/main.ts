import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, FeatureStoreError, loadConfig } from '@app/features';
import { checkBind } from './auth/bind-policy';
import { createApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const access = checkBind(config);
  const { app } = await createApi(config);
  await app.listen(config.http.port, config.http.host);
  new Logger('Api').log(access);
  new Logger('Api').log(`listening on http://${config.http.host}:${config.http.port} (DATA_DIR=${config.dataDir})`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof FeatureStoreError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
