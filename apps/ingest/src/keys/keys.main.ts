import { resolve } from 'node:path';
import { ApiKeyStore, keyHash, newApiKey } from '@app/features';
import { KEYS_USAGE, parseKeysArgs } from './keys-args';

/**
 * `npm run keys -- create …`: an operator's tool on the machine that holds the keys file (the
 * API only reads it, and picks the new key up without a restart). Exit 2 on bad arguments.
 */
function main(argv: string[]): number {
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
  return 0;
}

process.exitCode = main(process.argv.slice(2));
