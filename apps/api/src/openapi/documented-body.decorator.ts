import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

/**
 * The request body of a route that reads it itself (a JSON body or a table, by Content-Type), so
 * no pipe or `@JsonBody` shows its schema: name here the schemas the handler parses with.
 */
export interface DocumentedBody {
  /** The schema of an `application/json` body. */
  readonly json?: z.ZodTypeAny;
  /** Other content types the route takes as raw bytes (tables: CSV, NDJSON, Parquet, Arrow). */
  readonly raw?: readonly string[];
  /** Query parameters, parsed with this schema (when the body is one of `raw`). */
  readonly query?: z.ZodTypeAny;
  readonly description: string;
}

export const DOCUMENTED_BODY = Symbol('DOCUMENTED_BODY');

/** Names the schemas a handler parses its own body (and query) with, for GET /openapi.json. */
export const DocumentBody = (body: DocumentedBody): MethodDecorator => SetMetadata(DOCUMENTED_BODY, body);
