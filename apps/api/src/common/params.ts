import { z } from 'zod';
import { parseUtc } from '@app/features';
import { ZodPipe } from './zod.pipe';

/** Longest name or id a path may carry: longer is a 400 naming the parameter, not a lookup. */
export const MAX_PARAM_LENGTH = 200;

const name = z.string().min(1, 'must not be empty').max(MAX_PARAM_LENGTH, `at most ${MAX_PARAM_LENGTH} characters`);

/**
 * A name or id in a body (a view, a push source, a feature service, a training set): at most as
 * long as in a path. Longer names nothing, and would not fit a registry key (a 500 otherwise).
 */
export function bodyName(typeMessage: string): z.ZodString {
  return z.string({ required_error: typeMessage, invalid_type_error: typeMessage }).max(MAX_PARAM_LENGTH, `at most ${MAX_PARAM_LENGTH} characters`);
}

/** `@Param('name', NAME)`: a dataset, view, service, job or run name from the path. */
export const NAME = new ZodPipe(name);

/** `@Param('version', VERSION)`: a view version, 1 or more. */
export const VERSION = new ZodPipe(
  z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'must be a version number (1, 2, …)')
    .transform(Number),
);

/** An ISO-8601 time in a body or query (UTC when it has no zone), as a Date. */
export const utcTime = z.string({ invalid_type_error: 'must be an ISO-8601 date or timestamp' }).transform((text, ctx) => {
  try {
    return parseUtc(text, 'time');
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a valid ISO-8601 timestamp: ${JSON.stringify(text)}` });
    return z.NEVER;
  }
});
