import { parseWith, SCOPES, apiKeyEntrySchema, type AuthScope } from '@app/features';
import { z } from 'zod';

export const KEYS_USAGE = `usage: npm run keys -- create --id <id> --scopes read[,write][,admin] [--datasets 'bars_*,…'] [--views 'returns*,…'] [--file <keys.json>]

Prints a new random key once (stdout) and appends only its SHA-256 hash to the keys file
(--file, else AUTH_KEYS_FILE), atomically. The key cannot be shown again.`;

/** `keys create` as parsed from the command line. */
export interface CreateKeyCommand {
  readonly id: string;
  readonly scopes: AuthScope[];
  readonly datasets?: string[];
  readonly views?: string[];
  readonly file: string;
}

const list = (text: string | undefined): string[] | undefined => (text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== ''));

/** Parses `create --id … --scopes …`; throws InvalidArgumentError naming the bad option. */
export function parseKeysArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CreateKeyCommand {
  const [verb, ...rest] = argv;
  if (verb !== 'create') throw new Error(`unknown command ${verb === undefined ? '(none)' : JSON.stringify(verb)}`);
  const options = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i];
    const value = rest[i + 1];
    if (!['--id', '--scopes', '--datasets', '--views', '--file'].includes(flag)) throw new Error(`unknown option ${flag}`);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag}: needs a value`);
    options.set(flag.slice(2), value);
  }
  const file = options.get('file') ?? env.AUTH_KEYS_FILE;
  if (file === undefined || file === '') throw new Error('--file: required when AUTH_KEYS_FILE is not set');
  const entry = parseWith(
    apiKeyEntrySchema.omit({ keyHash: true }).extend({ scopes: z.array(z.enum(SCOPES)).min(1, `one of ${SCOPES.join(', ')}`) }),
    { id: options.get('id'), scopes: list(options.get('scopes')) ?? [], datasets: list(options.get('datasets')), views: list(options.get('views')) },
    'options',
  );
  return { ...entry, file };
}
