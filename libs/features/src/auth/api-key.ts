import { z } from 'zod';
import { InvalidArgumentError } from '../errors/feature-store.error';
import { KEY_HASH_PATTERN } from './key-digest';

/** The scopes a key may hold: `read` (catalog, lookups, training sets), `write` (rows, pushes, materialise), `admin` (definitions, keys). */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type AuthScope = (typeof SCOPES)[number];

/** Key ids that name no key: requests with auth off, and the CLI / stream worker in the audit trail. */
export const RESERVED_IDS: readonly string[] = ['anonymous', 'local'];

const pattern = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.*?-]+$/, 'a name pattern of letters, digits, _ . - and the wildcards * ?');

/** One entry of the keys file (only the hash of the key is stored). */
export const apiKeyEntrySchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -')
      // The audit trail names requests without a key `anonymous` and the operators' tools `local`.
      .refine((id) => !RESERVED_IDS.includes(id), { message: 'anonymous and local are reserved' }),
    keyHash: z.string().regex(KEY_HASH_PATTERN, 'sha256:<64 lowercase hex digits>'),
    scopes: z.array(z.enum(SCOPES)).min(1),
    datasets: z.array(pattern).optional(),
    views: z.array(pattern).optional(),
    // This key's own limits instead of RATE_LIMIT_* (0 = none), e.g. a batch bot slower than serving.
    limits: z
      .object({ rps: z.number().min(0).optional(), burst: z.number().int().min(1).optional(), heavy: z.number().int().min(0).optional() })
      .strict()
      .optional(),
  })
  .strict();

export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

/** Parses the keys file's text; the error names the file, the entry (index and id) and the field. */
export function parseKeyFile(text: string, path: string): ApiKeyEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`${path}: not valid JSON (${(error as Error).message})`, { field: 'AUTH_KEYS_FILE' });
  }
  if (!Array.isArray(json)) throw new InvalidArgumentError(`${path}: must be a JSON array of keys`, { field: 'AUTH_KEYS_FILE' });
  const ids = new Set<string>();
  return json.map((raw: unknown, index) => {
    const parsed = apiKeyEntrySchema.safeParse(raw);
    const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? ` (id ${(raw as { id: string }).id})` : '';
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidArgumentError(`${path}: entry [${index}]${id}: ${issue.path.join('.') || 'entry'}: ${issue.message}`, { field: 'AUTH_KEYS_FILE' });
    }
    if (ids.has(parsed.data.id)) throw new InvalidArgumentError(`${path}: entry [${index}]${id}: id is used twice`, { field: 'AUTH_KEYS_FILE' });
    ids.add(parsed.data.id);
    return parsed.data;
  });
}
