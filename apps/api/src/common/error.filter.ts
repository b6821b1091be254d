import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { ErrorCode, FeatureStoreError, assertNever } from '@app/features';
import type { FastifyReply } from 'fastify';

/** The JSON error body of API.md. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
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

// Fastify's own errors (body parsing, limits) by code.
const FASTIFY_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_ARGUMENT' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_ARGUMENT' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_ARGUMENT' },
};

/** Maps any thrown error to a status and the JSON error body; never leaks a stack. */
export function toErrorResponse(error: unknown, logger: Logger): { status: number; body: ErrorBody } {
  if (error instanceof FeatureStoreError) {
    return { status: statusOf(error.code), body: { error: { code: error.code, message: error.message, details: error.details } } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? 'NOT_FOUND' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL';
    return { status, body: { error: { code, message: error.message } } };
  }
  const e = error as { code?: string; statusCode?: number; message?: string };
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return { status: known.status, body: { error: { code: known.code, message: e.message ?? known.code } } };
  if (error instanceof SyntaxError || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    return { status: e.statusCode ?? 400, body: { error: { code: 'INVALID_ARGUMENT', message: e.message ?? 'bad request' } } };
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error; see the server log' } } };
}

/** The one exception filter: domain errors, Nest's HTTP errors and anything else, in API.md's shape. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(error, this.logger);
    void reply.status(status).send(body);
  }
}
