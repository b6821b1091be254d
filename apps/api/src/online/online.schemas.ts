import { z } from 'zod';

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
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name, j], message: `a key must be a non-empty string, got ${JSON.stringify(key)}` });
          return;
        }
      }
    }
  })
  .transform((given) => given as Readonly<Record<string, readonly string[]>>);

/** A list of feature references such as `view:feature` or `view@2:feature`. */
export const featureList = z.array(z.string({ invalid_type_error: 'must be a string such as "view:feature"' }));

/** POST /v1/online-features. */
export const onlineLookupBody = z.object({
  features: featureList.optional(),
  featureService: z.string({ invalid_type_error: 'must be the name of a feature service' }).nullish(),
  entities: entitiesSchema,
});
