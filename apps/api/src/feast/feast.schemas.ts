import { PUSH_TARGETS } from '@app/features';
import { z } from 'zod';
import type { FastBodyCheck } from '../common/json-body.decorator';
import { entitiesSchema, featureList, plainEntities, plainFeatureList } from '../online/online.schemas';

// Feast's clients send fields we do not use (e.g. allow_registry_cache): they are ignored.
const flag = z.boolean({ invalid_type_error: 'must be true or false' }).default(false);

/** Feast's column-major frame (`df`): an object of equally long arrays. */
export const frameSchema = z
  .record(z.string(), z.array(z.unknown(), { invalid_type_error: 'a column must be an array' }), {
    errorMap: () => ({ message: 'an object of columns is required, e.g. {"symbol": ["BTC-USD"], …}' }),
  })
  .superRefine((frame, ctx) => {
    let length = -1;
    for (const name in frame) {
      const values = frame[name];
      if (length >= 0 && values.length !== length) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: `${values.length} values, the other columns have ${length}` });
        return;
      }
      length = values.length;
    }
  });

/** POST /get-online-features (Feast's feature-server request). */
export const feastLookupBody = z.object({
  features: featureList.optional(),
  feature_service: z.string({ invalid_type_error: 'must be the name of a feature service' }).nullish(),
  entities: entitiesSchema,
  full_feature_names: flag,
  include_feature_view_version_metadata: flag,
});

/** POST /push. */
export const feastPushBody = z.object({
  push_source_name: z.string({ required_error: 'required', invalid_type_error: 'must be the name of a feature view or dataset' }),
  df: frameSchema,
  to: z.enum(PUSH_TARGETS, { errorMap: (_issue, ctx) => ({ message: `must be "online", "offline" or "online_and_offline", got ${JSON.stringify(ctx.data)}` }) }).default('online'),
});

/** POST /write-to-online-store (what Feast's SDK sends for push / write_to_online_store). */
export const feastWriteBody = z.object({
  feature_view_name: z.string({ required_error: 'the name of a feature view is required', invalid_type_error: 'the name of a feature view is required' }),
  df: frameSchema,
});

/** `feastLookupBody`'s answer for a body in its usual form (see FastBodyCheck); other fields are dropped, as zod does. */
export const fastFeastLookup: FastBodyCheck<z.infer<typeof feastLookupBody>> = (body) => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const entities = plainEntities(b.entities);
  if (entities === undefined) return undefined;
  const features = b.features === undefined ? undefined : plainFeatureList(b.features);
  if (b.features !== undefined && features === undefined) return undefined;
  const service = b.feature_service;
  if (service !== undefined && service !== null && typeof service !== 'string') return undefined;
  const fullNames = b.full_feature_names ?? false;
  const withVersions = b.include_feature_view_version_metadata ?? false;
  if (typeof fullNames !== 'boolean' || typeof withVersions !== 'boolean') return undefined;
  const out: z.infer<typeof feastLookupBody> = { entities, full_feature_names: fullNames, include_feature_view_version_metadata: withVersions };
  if (features !== undefined) out.features = features as string[];
  if (service !== undefined) out.feature_service = service;
  return out;
};
