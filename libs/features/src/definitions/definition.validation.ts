import { z } from 'zod';
import { CALENDAR_NAMES } from '../calendar/calendars';
import { parseWith } from '../errors/parse-with';
import { isIdentifier } from '../sql/identifier';
import { AVAILABLE_AT, FEATURE_TYPES, LABEL_CREATED_TS, FEATURE_VIEW_KINDS, type EntityDefinition, type FeatureServiceDefinition, type FeatureViewDefinition } from './feature-definition';

const identifier = z.string().refine(isIdentifier, { message: 'must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$' });
const tags = z.record(z.string(), z.string()).default({});
const featureType = z
  .string()
  .transform((t) => t.trim().toUpperCase())
  .pipe(z.enum(FEATURE_TYPES, { errorMap: () => ({ message: `must be one of ${FEATURE_TYPES.join(', ')}` }) }));

/** Most features one view declares. */
export const MAX_VIEW_FEATURES = 1_000;

/**
 * `list`, but a longer array is refused before its elements are checked: zod checks every
 * element even when the length is already wrong, and 100,000 features took seconds. The cast
 * keeps `list`'s input and output types, which the pipe does not change.
 */
function capped<T extends z.ZodTypeAny>(list: T, max: number): T {
  return z.array(z.unknown()).max(max, `at most ${max} features`).pipe(list) as unknown as T;
}

/** A feature view definition as a request or a definitions file gives it (defaults applied on parse). */
export const featureViewSchema = z
  .object({
    name: identifier,
    entity: identifier,
    source: identifier,
    timestampColumn: identifier.default('ts'),
    ttl: z.string().nullable().default(null),
    sql: z.string().min(1).max(100_000),
    features: capped(
      z
        .array(z.object({ name: identifier, type: featureType, description: z.string().max(2000).optional() }).strict())
        .min(1, 'at least one feature is required')
        .readonly(),
      MAX_VIEW_FEATURES,
    ),
    lookback: z.string().nullable().default(null),
    calendar: z.enum(CALENDAR_NAMES, { errorMap: () => ({ message: `must be one of ${CALENDAR_NAMES.join(', ')}` }) }).optional(),
    stream: z.boolean().default(false),
    kind: z.enum(FEATURE_VIEW_KINDS, { errorMap: () => ({ message: `must be one of ${FEATURE_VIEW_KINDS.join(', ')}` }) }).optional(),
    description: z.string().max(4000).default(''),
    owner: z.string().max(200).default(''),
    tags,
  })
  .strict()
  .superRefine((view, ctx) => {
    if (view.kind === 'label') {
      // A label is known only after its horizon: nothing online could serve it at decision time.
      if (view.stream) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['stream'], message: 'a label view is never served online, so it cannot stream' });
      for (const own of [AVAILABLE_AT, LABEL_CREATED_TS]) {
        const i = view.features.findIndex((f) => f.name === own);
        if (i >= 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['features', i, 'name'], message: `${own} is the label view's own column, not a label` });
      }
    }
    // The first duplicate only: a list repeating one feature 100,000 times is one mistake.
    const names = new Set<string>();
    for (const [i, f] of view.features.entries()) {
      if (names.has(f.name)) return void ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['features', i, 'name'], message: `duplicate feature ${f.name}` });
      names.add(f.name);
    }
  });

/** An entity definition: a name and its join keys. */
export const entitySchema = z.object({ name: identifier, joinKeys: z.array(identifier).min(1).readonly(), description: z.string().optional() }).strict();

/** A feature service definition: a name and its feature references. */
export const featureServiceSchema = z
  .object({
    name: identifier,
    features: z.array(z.string().min(1)).min(1, 'at least one feature reference is required').readonly(),
    description: z.string().max(4000).default(''),
    owner: z.string().max(200).default(''),
    tags,
  })
  .strict();

/** A feature view definition before defaults: what `apply` takes from code and from requests. */
export type FeatureViewInput = z.input<typeof featureViewSchema>;
export type EntityInput = z.input<typeof entitySchema>;
export type FeatureServiceInput = z.input<typeof featureServiceSchema>;

/** Checks the shape of a feature view definition (names, types, required fields); 400 on failure. */
export function parseViewDefinition(input: unknown): FeatureViewDefinition {
  return parseWith(featureViewSchema, input, 'body');
}

/** Checks the shape of an entity definition; 400 on failure. */
export function parseEntityDefinition(input: unknown): EntityDefinition {
  return parseWith(entitySchema, input, 'body');
}

/** Checks the shape of a feature service definition; 400 on failure. */
export function parseServiceDefinition(input: unknown): FeatureServiceDefinition {
  return parseWith(featureServiceSchema, input, 'body');
}
