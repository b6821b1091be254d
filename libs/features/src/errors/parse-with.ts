import type { z } from 'zod';
import { InvalidArgumentError } from './feature-store.error';

/** Most problems listed in an error's `details.issues`: a huge array of bad values must not make a huge answer. */
export const MAX_LISTED_ISSUES = 20;

/**
 * Parses `input` with a zod schema or throws an InvalidArgumentError (400) whose message starts
 * with the first failing field (`entities[2].ts: …`, or `what` when the whole value is wrong);
 * `details.issues` lists the first MAX_LISTED_ISSUES problems.
 */
export function parseWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = fieldPath(issue.path) || what;
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
  throw new InvalidArgumentError(`${field}: ${message}`, { field, issues: result.error.issues.slice(0, MAX_LISTED_ISSUES).map((i) => ({ path: i.path, message: i.message })) });
}

/** `["entities", 2, "ts"]` → `entities[2].ts`. */
export function fieldPath(path: ReadonlyArray<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}
