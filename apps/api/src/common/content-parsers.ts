import { InvalidArgumentError } from '@app/features';
import type { FastifyInstance } from 'fastify';
import { RAW_BODY_CONTENT_TYPES } from './body.parser';

/**
 * The body parsers of the API (Nest's own are off): JSON whose failures are the API's 400 naming
 * the body (Nest would turn Fastify's into an HTTP error without its code), the table formats as
 * raw bytes, and every other type (or none) as raw bytes too, so that the route itself answers
 * 415 naming the types it takes.
 */
export function registerContentParsers(fastify: FastifyInstance): void {
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    json(request, body as string, (error: Error | null, value?: unknown) => {
      if (!error) done(null, value);
      else if ((error as { code?: string }).code === 'FST_ERR_CTP_EMPTY_JSON_BODY') done(new InvalidArgumentError('body: empty, but Content-Type is application/json', { field: 'body' }), undefined);
      else done(new InvalidArgumentError(`body: malformed JSON (${error.message})`, { field: 'body' }), undefined);
    });
  });
  fastify.addContentTypeParser(RAW_BODY_CONTENT_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}
