import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FeatureStore, FeatureStoreError, formatPlan, loadConfig, planForEmptyRegistry } from '@app/features';
import { catalogWithFiles } from './cli/catalog-files';
import { parseCliArgs, USAGE } from './cli/cli-args';
import { formatMaterialization, formatSummary } from './cli/summary.printer';
import { IngestCommands } from './ingest.commands';
import { IngestModule } from './ingest.module';

/**
 * Exit codes: 0 when something was ingested or everything was already there, 1 when nothing
 * could be ingested, 2 for bad arguments or configuration.
 */
async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  // On stderr, so that --json output stays parseable.
  console.error(`data folder: ${config.dataDir}${process.env.DATA_DIR ? '' : ' (the default ./data; set DATA_DIR to use another)'}`);
  if (command.kind === 'apply' && command.dryRun && config.registry.url === undefined && !existsSync(join(config.dataDir, 'registry'))) {
    // Nothing is registered in a folder without a registry, and opening the stores would create
    // it (and the folder): the plan is "everything new", and nothing is written. (A PostgreSQL
    // registry, REGISTRY_URL, may hold definitions whatever the folder holds.)
    const lines = planForEmptyRegistry(catalogWithFiles(command.files));
    console.log(command.json ? JSON.stringify(lines, null, 2) : formatPlan(lines));
    return 0;
  }
  const store = await FeatureStore.open(config);
  const app = await NestFactory.createApplicationContext(IngestModule.forStore(store), { logger: ['error', 'warn'] });
  try {
    if (command.kind === 'apply') {
      const lines = await app.get(IngestCommands).apply(command);
      console.log(command.json ? JSON.stringify(lines, null, 2) : formatPlan(lines));
      return 0;
    }
    if (command.kind === 'materialize') {
      const results = await app.get(IngestCommands).materialize(command);
      console.log(command.json ? JSON.stringify(results, null, 2) : results.map(formatMaterialization).join('\n'));
      return 0;
    }
    if (command.kind === 'stream') {
      const totals = await app.get(IngestCommands).stream(command);
      console.log(JSON.stringify({ stopped: true, ...totals }));
      return 0;
    }
    const { summary, pulls } = await app.get(IngestCommands).run(command);
    console.log(command.json ? JSON.stringify({ ...summary, pulls }, null, 2) : formatSummary(summary, pulls));
    const nothingNew = summary.accepted === 0 && summary.skippedBatches === 0;
    const failed = summary.failures.length > 0 || pulls.some((p) => p.status === 'failed');
    return nothingNew && failed ? 1 : 0;
  } finally {
    await app.close();
    await store.close();
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    if (error instanceof FeatureStoreError) {
      console.error(`${error.code}: ${error.message}`);
      process.exit(error.code === 'INVALID_ARGUMENT' ? 2 : 1);
    }
    console.error(error);
    process.exit(1);
  });
