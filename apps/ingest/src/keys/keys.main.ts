import { resolve } from 'node:path';
import { ApiKeyStore, keyHash, loadConfig, newApiKey, recordLocalWrite, registryLocation } from '@app/features';
import { KEYS_USAGE, parseKeysArgs } from './keys-args';

/**
 * `npm run keys -- create …`: an operator's tool on the machine that holds the keys file (the
 * API only reads it, and picks the new key up without a restart). Exit 2 on bad arguments.
 */
async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseKeysArgs(argv, process.env);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${KEYS_USAGE}`);
    return 2;
  }
  const file = resolve(command.file);
  const key = newApiKey();
  try {
    ApiKeyStore.append(file, { id: command.id, keyHash: keyHash(key), scopes: command.scopes, datasets: command.datasets, views: command.views });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  console.error(`key ${command.id} (${command.scopes.join(', ')}) added to ${file}; it is shown once, store it now:`);
  console.log(key);
  // The key exists once the file holds it; a trail that cannot be written is reported, not fatal.
  const config = loadConfig(process.env);
  const where = registryLocation(config);
  try {
    const scopes = Object.fromEntries(command.scopes.map((s) => [s, 1]));
    await recordLocalWrite(config, { command: 'keys create', targets: [command.id], counts: scopes });
    console.error(`recorded in the audit trail of ${where}`);
  } catch (error) {
    console.error(`warning: the key was added, but the audit trail of ${where} could not be written: ${(error as Error).message}`);
  }
  return 0;
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
