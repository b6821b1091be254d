import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { ErrorCode, FeatureStoreError, RateLimitedError, assertNever } from '@app/features';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { feastErrorBody, isFeastRoute } from '../feast/feast-error';

/** The JSON error body of docs/api.md; `details` is null when there are none. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/** HTTP status of each domain error code. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.InvalidArgument:
      return 400;
    case ErrorCode.NotFound:
    case ErrorCode.UnknownDataset:
    case ErrorCode.UnknownFeatureView:
      return 404;
    case ErrorCode.Unauthenticated:
      return 401;
    case ErrorCode.Forbidden:
      return 403;
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
    case ErrorCode.LabelMisuse:
    case ErrorCode.BeforeRetention:
      return 422;
    case ErrorCode.RateLimited:
      return 429;
    case ErrorCode.ProviderFailed:
      return 502;
    case ErrorCode.Unavailable:
      return 503;
    default:
      return assertNever(code);
  }
}

// The code of a framework error (unknown route, body over the limit, unparseable Content-Type).
function codeOfStatus(status: number): ErrorCode {
  if (status === 404) return ErrorCode.NotFound;
  if (status === 413) return ErrorCode.PayloadTooLarge;
  if (status === 415) return ErrorCode.UnsupportedMediaType;
  return ErrorCode.InvalidArgument;
}

/** Maps any thrown error to a status and the JSON error body; never leaks a stack. */
export function toErrorResponse(error: unknown, logger: Logger): { status: number; body: ErrorBody } {
  const shaped = (status: number, code: string, message: string, details: unknown = null) => ({ status, body: { error: { code, message, details: details ?? null } } });
  if (error instanceof FeatureStoreError) return shaped(statusOf(error.code), error.code, error.message, error.details);
  // Nest hands Fastify's own errors on as HttpExceptions; a bare one still has a statusCode.
  const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return shaped(status, codeOfStatus(status), (error as Error).message);
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return shaped(500, 'INTERNAL', 'internal error; see the server log');
}

/**
 * The one exception filter: domain errors, Nest's and Fastify's own (malformed JSON, too large,
 * unknown route) and anything else, in docs/api.md's shape, or in Feast's on the Feast routes.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/** Writes an error answer as the filter does (also used by hooks that answer before Nest routes). */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const { status, body } = toErrorResponse(error, logger);
  // RFC 6750: a 401 names the scheme the client should use.
  if (status === 401) void reply.header('www-authenticate', 'Bearer');
  if (error instanceof RateLimitedError) void reply.header('retry-after', String(error.retryAfterSeconds));
  if (isFeastRoute(request.url)) {
    void reply.status(status).header('content-type', 'application/json').send(feastErrorBody(error, body.error.message));
  } else void reply.status(status).send(body);
}
