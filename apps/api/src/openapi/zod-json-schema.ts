import { z } from 'zod';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it) as plain data. */
export type JsonSchema = { [key: string]: unknown };

type Convert = (schema: z.ZodTypeAny) => JsonSchema;

// Shapes that zod cannot say (a refinement over `unknown`, a shape picked by a transform): the
// schema that validates names its documented shape here, built from the schemas it delegates to.
const documented = new WeakMap<z.ZodTypeAny, (convert: Convert) => JsonSchema>();

/**
 * Documents the input shape of a schema whose zod type does not show it (`z.custom`, a transform
 * over `z.unknown()`); `shape` should convert the schemas the check delegates to, so the document
 * follows them. Returns the schema itself.
 */
export function documentAs<T extends z.ZodTypeAny>(schema: T, shape: (convert: Convert) => JsonSchema): T {
  documented.set(schema, shape);
  return schema;
}

/**
 * The JSON Schema of what a zod (v3) schema accepts as input: defaults make a property optional,
 * transforms document their input, `.strict()` objects refuse other properties. A zod type this
 * does not know becomes `{}` marked `x-zod-type` (the document still serves; the OpenAPI test
 * fails on the mark, so a new kind of schema is not silently left out).
 */
export function toJsonSchema(schema: z.ZodTypeAny): JsonSchema {
  const shape = documented.get(schema);
  const out = shape !== undefined ? shape(toJsonSchema) : convert(schema);
  const description = schema.description;
  return description !== undefined && out.description === undefined ? { ...out, description } : out;
}

/** The object schema under effects, defaults and optionality (a query's or path's fields), or undefined. */
export function objectOf(schema: z.ZodTypeAny): z.AnyZodObject | undefined {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? inner : undefined;
}

/** The schema under effects, pipes, defaults and optionality. */
export function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  if (schema instanceof z.ZodEffects) return unwrap(schema.innerType());
  if (schema instanceof z.ZodPipeline) return unwrap(schema._def.in);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return unwrap(schema.unwrap());
  if (schema instanceof z.ZodDefault) return unwrap(schema._def.innerType);
  if (schema instanceof z.ZodReadonly) return unwrap(schema._def.innerType);
  return schema;
}

/** Whether the schema accepts a missing value (optional, nullish, or with a default). */
export function acceptsUndefined(schema: z.ZodTypeAny): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    // A transform that throws (rather than adding an issue) refuses the value all the same.
    return false;
  }
}

function convert(schema: z.ZodTypeAny): JsonSchema {
  if (schema instanceof z.ZodString) return stringSchema(schema);
  if (schema instanceof z.ZodNumber) return numberSchema(schema);
  if (schema instanceof z.ZodBoolean) return { type: 'boolean' };
  if (schema instanceof z.ZodNull) return { type: 'null' };
  if (schema instanceof z.ZodAny || schema instanceof z.ZodUnknown) return {};
  if (schema instanceof z.ZodNever) return { not: {} };
  if (schema instanceof z.ZodLiteral) return literalSchema(schema.value);
  if (schema instanceof z.ZodEnum) return { type: 'string', enum: [...(schema.options as string[])] };
  if (schema instanceof z.ZodNativeEnum) return { enum: Object.values(schema.enum as Record<string, string | number>) };
  if (schema instanceof z.ZodObject) return objectSchema(schema);
  if (schema instanceof z.ZodArray) return arraySchema(schema);
  if (schema instanceof z.ZodRecord) return { type: 'object', additionalProperties: toJsonSchema(schema.valueSchema) };
  if (schema instanceof z.ZodTuple) return { type: 'array', prefixItems: schema.items.map((s: z.ZodTypeAny) => toJsonSchema(s)), minItems: schema.items.length };
  if (schema instanceof z.ZodUnion || schema instanceof z.ZodDiscriminatedUnion) {
    return { anyOf: (schema.options as z.ZodTypeAny[]).map((s) => toJsonSchema(s)) };
  }
  if (schema instanceof z.ZodIntersection) return { allOf: [toJsonSchema(schema._def.left), toJsonSchema(schema._def.right)] };
  if (schema instanceof z.ZodOptional) return toJsonSchema(schema.unwrap());
  if (schema instanceof z.ZodNullable) return { anyOf: [toJsonSchema(schema.unwrap()), { type: 'null' }] };
  if (schema instanceof z.ZodDefault) return { ...toJsonSchema(schema._def.innerType), default: schema._def.defaultValue() };
  if (schema instanceof z.ZodReadonly || schema instanceof z.ZodCatch) return toJsonSchema(schema._def.innerType);
  if (schema instanceof z.ZodBranded) return toJsonSchema(schema.unwrap());
  if (schema instanceof z.ZodEffects) return toJsonSchema(schema.innerType());
  if (schema instanceof z.ZodPipeline) return pipelineSchema(schema);
  if (schema instanceof z.ZodLazy) return toJsonSchema(schema.schema);
  const typeName = (schema._def as { typeName?: string }).typeName ?? 'unknown';
  return { 'x-zod-type': typeName, description: `accepts what zod's ${typeName} accepts (not converted)` };
}

/**
 * `a.pipe(b)`: when `a` hands the value on unchanged (a pre-check such as a length cap), the body
 * must pass both; when `a` transforms it, `b` judges the transformed value, so only `a` describes
 * the body.
 */
function pipelineSchema(schema: z.ZodPipeline<z.ZodTypeAny, z.ZodTypeAny>): JsonSchema {
  const input = schema._def.in;
  const transforms = input instanceof z.ZodEffects && (input._def.effect.type === 'transform' || input._def.effect.type === 'preprocess');
  return transforms ? toJsonSchema(input) : { allOf: [toJsonSchema(input), toJsonSchema(schema._def.out)] };
}

function stringSchema(schema: z.ZodString): JsonSchema {
  const out: JsonSchema = { type: 'string' };
  for (const check of schema._def.checks) {
    if (check.kind === 'min') out.minLength = check.value;
    else if (check.kind === 'max') out.maxLength = check.value;
    else if (check.kind === 'length') out.minLength = out.maxLength = check.value;
    else if (check.kind === 'regex') out.pattern = check.regex.source;
    else if (check.kind === 'datetime') out.format = 'date-time';
    else if (check.kind === 'email' || check.kind === 'url' || check.kind === 'uuid') out.format = check.kind === 'url' ? 'uri' : check.kind;
  }
  return out;
}

function numberSchema(schema: z.ZodNumber): JsonSchema {
  const out: JsonSchema = { type: 'number' };
  for (const check of schema._def.checks) {
    if (check.kind === 'int') out.type = 'integer';
    else if (check.kind === 'min') out[check.inclusive ? 'minimum' : 'exclusiveMinimum'] = check.value;
    else if (check.kind === 'max') out[check.inclusive ? 'maximum' : 'exclusiveMaximum'] = check.value;
    else if (check.kind === 'multipleOf') out.multipleOf = check.value;
  }
  return out;
}

function literalSchema(value: unknown): JsonSchema {
  const type = value === null ? 'null' : typeof value === 'number' ? 'number' : typeof value;
  return { type, const: value };
}

function objectSchema(schema: z.AnyZodObject): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodTypeAny>)) {
    properties[name] = toJsonSchema(field);
    if (!acceptsUndefined(field)) required.push(name);
  }
  const out: JsonSchema = { type: 'object', properties };
  if (required.length > 0) out.required = required;
  const catchall = schema._def.catchall as z.ZodTypeAny;
  if (!(catchall instanceof z.ZodNever)) out.additionalProperties = toJsonSchema(catchall);
  // `strip` (zod's default) accepts other properties and drops them: nothing to say.
  else if (schema._def.unknownKeys === 'strict') out.additionalProperties = false;
  return out;
}

function arraySchema(schema: z.ZodArray<z.ZodTypeAny>): JsonSchema {
  const out: JsonSchema = { type: 'array', items: toJsonSchema(schema.element) };
  if (schema._def.minLength) out.minItems = schema._def.minLength.value;
  if (schema._def.maxLength) out.maxItems = schema._def.maxLength.value;
  if (schema._def.exactLength) out.minItems = out.maxItems = schema._def.exactLength.value;
  return out;
}
