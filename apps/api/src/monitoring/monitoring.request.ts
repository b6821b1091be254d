import { MAX_CONSISTENCY_KEYS, type CreateMonitorCommand } from '@app/features';
import { z } from 'zod';
import { MAX_PARAM_LENGTH, bodyName } from '../common/params';

const windowText = z.string({ required_error: 'a duration like 30d is required', invalid_type_error: 'must be a duration like 30d' }).max(16, 'must be a duration like 30d');

/** GET …/drift: the reference training set and the window (a duration; the domain parses it). */
export const driftQuery = z.object({
  reference: bodyName('must be a training set id').min(1, 'a training set id is required'),
  window: windowText,
});

/** GET …/consistency: `keys=AAPL,MSFT`, the values of the entity's one join key. */
export const consistencyQuery = z.object({
  keys: z
    .string({ required_error: 'a comma-separated list of keys is required', invalid_type_error: 'must be one comma-separated list of keys' })
    .transform((text) => text.split(','))
    .pipe(
      z
        .array(z.string().min(1, 'an empty key (two commas in a row?)').max(MAX_PARAM_LENGTH, `a key of at most ${MAX_PARAM_LENGTH} characters`))
        .max(MAX_CONSISTENCY_KEYS, `at most ${MAX_CONSISTENCY_KEYS} keys per check`),
    ),
});

/** POST /v1/monitors. */
export const monitorBody = z
  .object({
    view: bodyName('must be a feature view name').min(1, 'a feature view name is required'),
    version: z.number({ required_error: 'a version number is required', invalid_type_error: 'must be a version number' }).int('must be a whole number').positive('must be 1 or more'),
    reference: bodyName('must be a training set id').min(1, 'a training set id is required'),
    window: windowText,
    psiAlert: z.number({ invalid_type_error: 'must be a number' }).positive('must be positive').finite().default(0.2),
  })
  .strict() satisfies z.ZodType<CreateMonitorCommand, z.ZodTypeDef, unknown>;

/** A monitor id in a path. */
export const monitorIdParam = z.string().min(1).max(MAX_PARAM_LENGTH, `at most ${MAX_PARAM_LENGTH} characters`);
