import { InvalidArgumentError } from '@app/features';

/** A JSON request body that must be an object; 400 naming `body` otherwise. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('body: a JSON object is required', { field: 'body' });
  return body as Record<string, unknown>;
}
