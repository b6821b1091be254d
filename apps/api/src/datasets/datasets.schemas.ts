import { z } from 'zod';

/** PUT /v1/datasets/{name}: the declaration's shape (names and types are checked by the domain). */
export const declareDatasetBody = z
  .object({
    keys: z.array(z.string()).optional(),
    timestampColumn: z.string().optional(),
    calendar: z.string().optional(),
    partition: z.string().optional(),
    retention: z.string().optional(),
    columns: z.array(z.object({ name: z.string(), type: z.string(), required: z.boolean().optional() }), {
      errorMap: () => ({ message: 'must be a non-empty array of {name, type}' }),
    }),
  })
  .strict();

/** POST /v1/datasets/{name}/rows as JSON, for the document: each row's fields are checked by the ingestion. */
export const jsonRowsBody = z.array(z.record(z.string(), z.unknown()));
