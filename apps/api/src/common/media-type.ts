import { ErrorCode, FeatureStoreError } from '@app/features';
import type { FastifyRequest } from 'fastify';

/** A body whose Content-Type the route does not take (415), naming the types it does take. */
export class UnsupportedMediaTypeError extends FeatureStoreError {
  constructor(contentType: string | undefined, accepted: readonly string[]) {
    const given = contentType === undefined || contentType === '' ? 'a body without Content-Type' : `Content-Type ${JSON.stringify(contentType)}`;
    super(ErrorCode.UnsupportedMediaType, `${given} is not supported; use ${accepted.join(', ')}`, { field: 'Content-Type', accepted });
  }
}

/** True when the request carries a body (a length above 0, or a chunked one). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The base media type of a Content-Type header, lower case: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}
