import { describeValue } from '@app/features';
import { z } from 'zod';
import type { FastBodyCheck } from '../common/json-body.decorator';
import { documentAs } from '../openapi/zod-json-schema';
import { MAX_PARAM_LENGTH, bodyName } from '../common/params';

/**
 * `{"symbol": ["BTC-USD", …]}`: arrays of non-empty key strings. Checked in place, without
 * copying the arrays (this is the online hot path); which columns must be there depends on the
 * requested features and is the domain's check.
 */
export const entitiesSchema = z
  .record(z.string(), z.unknown(), { errorMap: () => ({ message: 'an object of key columns is required, e.g. {"symbol": ["BTC-USD"]}' }) })
  .superRefine((given, ctx) => {
    for (const name in given) {
      const column = given[name];
      if (!Array.isArray(column) || column.length === 0) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: 'a non-empty array of keys is required' });
        return;
      }
      for (let j = 0; j < column.length; j++) {
        const key: unknown = column[j];
        if (typeof key !== 'string' || key === '') {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name, j], message: `a key must be a non-empty string, got ${describeValue(key)}` });
          return;
        }
      }
    }
  })
  .transform((given) => given as Readonly<Record<string, readonly string[]>>);
// The superRefine's rules, for GET /openapi.json.
documentAs(entitiesSchema, () => ({ type: 'object', additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } } }));

/** A list of feature references such as `view:feature` or `view@2:feature`. */
export const featureList = z.array(z.string({ invalid_type_error: 'must be a string such as "view:feature"' }));

/** POST /v1/online-features. */
export const onlineLookupBody = z.object({
  features: featureList.optional(),
  featureService: bodyName('must be the name of a feature service').nullish(),
  entities: entitiesSchema,
});

/** Entities in their usual form: arrays of non-empty strings (as `entitiesSchema` accepts them). */
export function plainEntities(value: unknown): Readonly<Record<string, readonly string[]>> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const given = value as Record<string, unknown>;
  for (const name in given) {
    const column = given[name];
    if (!Array.isArray(column) || column.length === 0) return undefined;
    for (let j = 0; j < column.length; j++) {
      const key: unknown = column[j];
      if (typeof key !== 'string' || key === '') return undefined;
    }
  }
  return given as Readonly<Record<string, readonly string[]>>;
}

/** The strings of a feature list, or undefined when it is anything else. */
export function plainFeatureList(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return undefined;
  return value as readonly string[];
}

/** The parts both lookup routes share, in their usual form: entities, features, a service name (`serviceField`). */
export function plainLookup(
  body: unknown,
  serviceField: string,
): { readonly b: Readonly<Record<string, unknown>>; readonly entities: Readonly<Record<string, readonly string[]>>; readonly features?: string[]; readonly service?: string | null } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const entities = plainEntities(b.entities);
  if (entities === undefined) return undefined;
  const features = b.features === undefined ? undefined : plainFeatureList(b.features);
  if (b.features !== undefined && features === undefined) return undefined;
  const service = b[serviceField];
  if (service !== undefined && service !== null && (typeof service !== 'string' || service.length > MAX_PARAM_LENGTH)) return undefined;
  return { b, entities, features: features as string[] | undefined, service };
}

/** `onlineLookupBody`'s answer for a body in its usual form (see FastBodyCheck); other fields are dropped, as zod does. */
export const fastOnlineLookup: FastBodyCheck<z.infer<typeof onlineLookupBody>> = (body) => {
  const lookup = plainLookup(body, 'featureService');
  if (lookup === undefined) return undefined;
  const out: z.infer<typeof onlineLookupBody> = { entities: lookup.entities };
  if (lookup.features !== undefined) out.features = lookup.features;
  if (lookup.service !== undefined) out.featureService = lookup.service;
  return out;
};
