import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ErrorCode, FeatureStoreError, parseWith } from '@app/features';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** A body whose Content-Type the route does not take (415), naming the types it does take. */
export class UnsupportedMediaTypeError extends FeatureStoreError {
  constructor(contentType: string | undefined, accepted: readonly string[]) {
    const given = contentType === undefined || contentType === '' ? 'a body without Content-Type' : `Content-Type ${JSON.stringify(contentType)}`;
    super(ErrorCode.UnsupportedMediaType, `${given} is not supported; use ${accepted.join(', ')}`, { field: 'Content-Type', accepted });
  }
}

const JSON_TYPES = ['application/json'];

/** True when the request carries a body (a length above 0, or a chunked one). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The base media type of a Content-Type header, lower case: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

// A JSON route's body: 415 when a body comes as anything but JSON; no body at all is `undefined`
// (the route's schema decides whether that is allowed). The schema is wrapped: Nest would take a
// bare zod schema, which has a `transform` method, for a pipe.
const JsonRequestBody = createParamDecorator(({ schema }: { schema: z.ZodType<unknown, z.ZodTypeDef, unknown> }, context: ExecutionContext): unknown => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  if (hasBody(request) && !JSON_TYPES.includes(mediaType(request.headers['content-type']))) {
    throw new UnsupportedMediaTypeError(request.headers['content-type'], JSON_TYPES);
  }
  return parseWith(schema, request.body, 'body');
});

/**
 * The JSON body of a route, checked by one zod schema: `@JsonBody(schema) body: z.infer<…>`.
 * 415 for another Content-Type, 400 naming the field for a body the schema refuses.
 */
export function JsonBody<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>): ParameterDecorator {
  return JsonRequestBody({ schema });
}
