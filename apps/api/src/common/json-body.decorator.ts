import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { parseWith } from '@app/features';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { UnsupportedMediaTypeError, hasBody, mediaType } from './media-type';

const JSON_TYPES = ['application/json'];

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
