import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { parseWith } from '@app/features';
import type { z } from 'zod';

/**
 * Validates one route argument (`@Body(new ZodPipe(schema))`, `@Query(...)`, `@Param(...)`) with
 * a zod schema and hands the handler the typed value; a failure is a 400 naming the field.
 */
@Injectable()
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  // Public so that GET /openapi.json documents the route from the schema that checks it.
  constructor(readonly schema: z.ZodType<T, z.ZodTypeDef, unknown>) {}

  transform(value: unknown, metadata: ArgumentMetadata): T {
    const what = metadata.type === 'custom' ? 'request' : metadata.type === 'param' && metadata.data ? metadata.data : metadata.type;
    return parseWith(this.schema, value, what);
  }
}
