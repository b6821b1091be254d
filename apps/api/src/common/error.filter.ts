import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { ErrorCode, FeatureStoreError, assertNever } from '@app/features';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { feastErrorBody, isFeastRoute } from '../feast/feast-error';

/** The JSON error body of API.md; `details` is null when there are none. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/** HTTP status of each domain error code. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.InvalidArgument:
    case ErrorCode.InvalidTimestamp:
      return 400;
    case ErrorCode.NotFound:
    case ErrorCode.UnknownDataset:
    case ErrorCode.UnknownFeatureView:
      return 404;
    case ErrorCode.Conflict:
      return 409;
    case ErrorCode.PayloadTooLarge:
      return 413;
    case ErrorCode.UnsupportedMediaType:
      return 415;
    case ErrorCode.SchemaMismatch:
    case ErrorCode.MissingColumn:
    case ErrorCode.NothingIngested:
    case ErrorCode.FeatureSqlRejected:
    case ErrorCode.InvalidDefinition:
    case ErrorCode.UnknownEntity:
    case ErrorCode.UnknownFeature:
    case ErrorCode.UnknownReference:
      return 422;
    case ErrorCode.ProviderFailed:
      return 502;
    case ErrorCode.Unavailable:
      return 503;
    default:
      return assertNever(code);
  }
}

// Fastify's own errors (body parsing, limits) by code; `field` names what was wrong.
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message?: string; field?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_ARGUMENT' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_ARGUMENT', message: 'body: empty, but Content-Type is application/json', field: 'body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_ARGUMENT', message: 'body: malformed JSON', field: 'body' },
};

/** Maps any thrown error to a status and the JSON error body; never leaks a stack. */
export function toErrorResponse(error: unknown, logger: Logger): { status: number; body: ErrorBody } {
  const shaped = (status: number, code: string, message: string, details: unknown = null) => ({ status, body: { error: { code, message, details: details ?? null } } });
  if (error instanceof FeatureStoreError) return shaped(statusOf(error.code), error.code, error.message, error.details);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? 'NOT_FOUND' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL';
    return shaped(status, code, error.message);
  }
  const e = error as { code?: string; statusCode?: number; message?: string };
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return shaped(known.status, known.code, known.message ?? e.message ?? known.code, known.field ? { field: known.field } : null);
  if (error instanceof SyntaxError) return shaped(400, 'INVALID_ARGUMENT', `body: malformed JSON (${error.message})`, { field: 'body' });
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return shaped(e.statusCode, 'INVALID_ARGUMENT', e.message ?? 'bad request');
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return shaped(500, 'INTERNAL', 'internal error; see the server log');
}

/**
 * The one exception filter: domain errors, Nest's and Fastify's own (malformed JSON, too large,
 * unknown route) and anything else, in API.md's shape, or in Feast's on the Feast routes.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(error, this.logger);
    if (isFeastRoute(http.getRequest<FastifyRequest>().url)) {
      void reply.status(status).header('content-type', 'application/json').send(feastErrorBody(error, body.error.message));
    } else void reply.status(status).send(body);
  }
}
