import { RUN_ID_PATTERN, type LinkRunCommand } from '@app/features';
import { z } from 'zod';
import { MAX_PARAM_LENGTH, bodyName } from '../common/params';

/** A run id in a path or body. */
export const runIdParam = z.string().regex(RUN_ID_PATTERN, '1 to 200 characters of letters, digits, _ . : -');

/** POST /v1/runs. */
export const linkRunBody = z.object({
  runId: runIdParam,
  trainingSetIds: z.array(bodyName('must be a training set id'), { invalid_type_error: 'a non-empty array is required' }).min(1, 'a non-empty array is required'),
  system: z.string().default('unknown'),
  tags: z.record(z.string()).default({}),
}) satisfies z.ZodType<LinkRunCommand, z.ZodTypeDef, unknown>;

/** GET /v1/feature-views/:name/versions/:version/runs. */
export const versionParams = z.object({
  name: z.string().min(1).max(MAX_PARAM_LENGTH, `at most ${MAX_PARAM_LENGTH} characters`),
  version: z.coerce.number().int().positive(),
});

/** GET /v1/training-sets/:id. */
export const trainingSetIdParam = z.string().min(1).max(200);
