import { PUSH_TARGETS, describeValue } from '@app/features';
import { z } from 'zod';
import type { FastBodyCheck } from '../common/json-body.decorator';
import { bodyName } from '../common/params';
import { entitiesSchema, featureList, plainLookup } from '../online/online.schemas';

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
  feature_service: bodyName('must be the name of a feature service').nullish(),
  entities: entitiesSchema,
  full_feature_names: flag,
  include_feature_view_version_metadata: flag,
});

/** POST /push. */
export const feastPushBody = z.object({
  push_source_name: bodyName('must be the name of a feature view or dataset'),
  df: frameSchema,
  to: z.enum(PUSH_TARGETS, { errorMap: (_issue, ctx) => ({ message: `must be "online", "offline" or "online_and_offline", got ${describeValue(ctx.data)}` }) }).default('online'),
});

/** POST /write-to-online-store (what Feast's SDK sends for push / write_to_online_store). */
export const feastWriteBody = z.object({
  feature_view_name: bodyName('the name of a feature view is required'),
  df: frameSchema,
});

/** `feastLookupBody`'s answer for a body in its usual form (see FastBodyCheck); other fields are dropped, as zod does. */
export const fastFeastLookup: FastBodyCheck<z.infer<typeof feastLookupBody>> = (body) => {
  const lookup = plainLookup(body, 'feature_service');
  if (lookup === undefined) return undefined;
  const fullNames = lookup.b.full_feature_names ?? false;
  const withVersions = lookup.b.include_feature_view_version_metadata ?? false;
  if (typeof fullNames !== 'boolean' || typeof withVersions !== 'boolean') return undefined;
  const out: z.infer<typeof feastLookupBody> = { entities: lookup.entities, full_feature_names: fullNames, include_feature_view_version_metadata: withVersions };
  if (lookup.features !== undefined) out.features = lookup.features;
  if (lookup.service !== undefined) out.feature_service = lookup.service;
  return out;
};
