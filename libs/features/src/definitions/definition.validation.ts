import { z } from 'zod';
import { InvalidArgumentError } from '../errors/feature-store.error';
import { parseWith } from '../errors/parse-with';
import { isIdentifier } from '../sql/identifier';
import { FEATURE_TYPES, type EntityDefinition, type FeatureServiceDefinition, type FeatureViewDefinition } from './feature-definition';

const identifier = z.string().refine(isIdentifier, { message: 'must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$' });
const tags = z.record(z.string(), z.string()).default({});
const featureType = z
  .string()
  .transform((t) => t.trim().toUpperCase())
  .pipe(z.enum(FEATURE_TYPES, { errorMap: () => ({ message: `must be one of ${FEATURE_TYPES.join(', ')}` }) }));

const viewSchema = z
  .object({
    name: identifier,
    entity: identifier,
    source: identifier,
    timestampColumn: identifier.default('ts'),
    ttl: z.string().nullable().default(null),
    sql: z.string().min(1).max(100_000),
    features: z
      .array(z.object({ name: identifier, type: featureType, description: z.string().max(2000).optional() }).strict())
      .min(1, 'at least one feature is required'),
    lookback: z.string().nullable().default(null),
    stream: z.boolean().default(false),
    description: z.string().max(4000).default(''),
    owner: z.string().max(200).default(''),
    tags,
  })
  .strict();

const entitySchema = z.object({ name: identifier, joinKeys: z.array(identifier).min(1), description: z.string().optional() }).strict();

const serviceSchema = z
  .object({
    name: identifier,
    features: z.array(z.string().min(1)).min(1, 'at least one feature reference is required'),
    description: z.string().max(4000).default(''),
    owner: z.string().max(200).default(''),
    tags,
  })
  .strict();

/** Checks the shape of a feature view definition (names, types, required fields); 400 on failure. */
export function parseViewDefinition(input: unknown): FeatureViewDefinition {
  const view = parseWith(viewSchema, input, 'body');
  const names = new Set<string>();
  view.features.forEach((f, i) => {
    if (names.has(f.name)) throw new InvalidArgumentError(`features[${i}].name: duplicate feature ${f.name}`, { field: `features[${i}].name` });
    names.add(f.name);
  });
  return view;
}

export function parseEntityDefinition(input: unknown): EntityDefinition {
  return parseWith(entitySchema, input, 'body');
}

export function parseServiceDefinition(input: unknown): FeatureServiceDefinition {
  return parseWith(serviceSchema, input, 'body');
}
