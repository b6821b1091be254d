import { MAX_LABELS, RUN_ID_PATTERN, isIdentifier, parseUtc, parseWith, type CreateTrainingSetCommand, type EntityFrameFormat, type EntityRow, type EntitySource, type SourceFormat } from '@app/features';
import { z } from 'zod';
import { bodyFormat, bodyToFile } from '../common/body.parser';
import { documentAs } from '../openapi/zod-json-schema';
import { bodyName } from '../common/params';

const identifier = z.string().refine(isIdentifier, 'must be a name of letters, digits and _ (not starting with a digit, at most 63)');

const mode = z.enum(['event', 'knowledge'], { errorMap: () => ({ message: 'must be "event" or "knowledge"' }) }).default('event');

const runId = z
  .string({ invalid_type_error: 'must be a string' })
  .regex(RUN_ID_PATTERN, '1 to 200 characters of letters, digits, _ . : -')
  .nullish()
  .transform((v) => v ?? null);

const utcTime = z.string().transform((text, ctx) => {
  try {
    return parseUtc(text, 'time');
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not an ISO-8601 timestamp: ${JSON.stringify(text)}` });
    return z.NEVER;
  }
});

/** A set's vintage: only data with created_ts at or before it (ISO-8601; naive is UTC). */
export const knownAt = z
  .string({ invalid_type_error: 'must be an ISO-8601 timestamp' })
  .pipe(utcTime)
  .nullish()
  .transform((v) => v ?? null);

// One check per row, not per value: JSON.parse only makes JSON values, which is what EntityValue
// describes, and a large JSON frame should not pay for a schema walk of every value.
const entityRow = z.custom<EntityRow>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'must be an object');

const entityRows = z
  .array(entityRow, { invalid_type_error: 'a non-empty array of entity rows (or {"from": dataset, ...}) is required' })
  .min(1, 'a non-empty array of entity rows is required')
  .transform((rows): EntitySource => ({ kind: 'rows', rows }));

const datasetBars = z
  .object({
    from: identifier,
    symbols: z
      .union([z.literal('all'), z.array(z.string()).min(1, 'a non-empty list of symbols, or "all"')], { errorMap: () => ({ message: 'a non-empty list of symbols, or "all"' }) })
      .default('all'),
    start: utcTime.optional(),
    end: utcTime.optional(),
  })
  .transform((v): EntitySource => ({ kind: 'dataset', dataset: v.from, symbols: v.symbols, start: v.start ?? null, end: v.end ?? null }));

// An object names a dataset's bars; anything else must be a list of rows. Picked by shape so the
// errors name the field inside the one that applies (zod's union would only say "invalid").
const entities = z.unknown().transform((value, ctx): EntitySource => {
  const schema = value !== null && typeof value === 'object' && !Array.isArray(value) ? datasetBars : entityRows;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, message: issue.message, path: issue.path });
  return z.NEVER;
});
// What these checks accept, for GET /openapi.json (zod's types do not show it).
documentAs(entityRow, () => ({ type: 'object', description: 'an entity row: its keys, its time (`ts` or timestampColumn), extra columns (labels) passed through' }));
documentAs(entities, (convert) => ({ anyOf: [convert(entityRows), convert(datasetBars)] }));

const featureRefs = z.array(z.string({ invalid_type_error: 'must be a string' }), { invalid_type_error: 'must be a list of feature references' });
// References of label views (`forward_returns:fwd_ret_5d`), joined to each row's decision bar.
const labelRefs = z.array(z.string({ invalid_type_error: 'must be a string' }).min(1), { invalid_type_error: 'must be a list of label references' }).max(MAX_LABELS, `at most ${MAX_LABELS} labels`);

// Either `featureService` (it wins, as it always has) or a list of references.
function selection(features: readonly string[] | undefined, featureService: string | undefined, ctx: z.RefinementCtx): CreateTrainingSetCommand['features'] {
  if (featureService !== undefined) return { featureService };
  if (!features || features.length === 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['features'], message: 'a non-empty list of feature references (or featureService) is required' });
    return z.NEVER;
  }
  return { features };
}

/** POST /v1/training-sets with a JSON body: everything in the body. */
export const trainingSetBody = z
  .object({
    features: featureRefs.optional(),
    featureService: bodyName('must be a name').optional(),
    entities,
    pointInTime: mode,
    timestampColumn: identifier.default('ts'),
    runId,
    labels: labelRefs.optional(),
    knownAt,
  })
  .transform(
    (b, ctx): CreateTrainingSetCommand => ({
      ...(b.labels?.length ? { labels: b.labels } : {}),
      features: selection(b.features, b.featureService, ctx),
      entities: b.entities,
      pointInTime: b.pointInTime,
      timestampColumn: b.timestampColumn,
      runId: b.runId,
      knownAt: b.knownAt,
    }),
  );

/** POST /v1/training-sets with an entity frame as the body: the options as query parameters. */
export const trainingSetQuery = z
  .object({
    features: z
      .string()
      .optional()
      .transform((v) => v?.split(',').map((f) => f.trim()).filter(Boolean)),
    featureService: bodyName('must be a name').optional(),
    pointInTime: mode,
    timestampColumn: identifier.default('ts'),
    runId,
    labels: z
      .string()
      .optional()
      // Comma-separated, as features; the count is checked by the domain (resolveLabels).
      .transform((v) => v?.split(',').map((f) => f.trim()).filter(Boolean)),
    knownAt,
  })
  .transform((q, ctx) => ({
    features: selection(q.features, q.featureService, ctx),
    pointInTime: q.pointInTime,
    timestampColumn: q.timestampColumn,
    runId: q.runId,
    knownAt: q.knownAt,
    ...(q.labels?.length ? { labels: q.labels } : {}),
  }));

/**
 * The command of a POST /v1/training-sets: a JSON body carries everything; a CSV, NDJSON,
 * Parquet or Arrow body is the entity frame itself, with the options as query parameters.
 */
export function trainingSetCommand(contentType: string | undefined, body: unknown, query: unknown): CreateTrainingSetCommand {
  const format = bodyFormat(contentType);
  if (format === 'json') return parseWith(trainingSetBody, body, 'body');
  const options = parseWith(trainingSetQuery, query, 'query');
  const frame = bodyToFile(format, body);
  return { ...options, entities: { kind: 'frame', bytes: frame.bytes, format: frameFormat(frame.format), ...(frame.columnTypes ? { columnTypes: frame.columnTypes } : {}) } };
}

// bodyToFile turns Arrow into NDJSON and never answers plain JSON for a raw body.
function frameFormat(format: SourceFormat): EntityFrameFormat {
  if (format === 'json') throw new Error('a raw entity frame cannot be a JSON array');
  return format;
}

/** GET /v1/training-sets/{id}/diff: the later vintage to compare with (required). */
export const trainingSetDiffQuery = z.object({
  knownAt: z.string({ required_error: 'required: the later vintage (an ISO-8601 timestamp)', invalid_type_error: 'must be an ISO-8601 timestamp' }).pipe(utcTime),
});

/** POST /v1/training-sets/{id}/recreate: no body needed; `runId` links the new set to a run. */
export const recreateBody = z
  .object({ runId })
  .strict()
  .nullish()
  .transform((b) => ({ runId: b?.runId ?? null }));
