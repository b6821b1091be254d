import { z } from 'zod';
import { documentAs, toJsonSchema } from './zod-json-schema';

// Expected schemas are written from JSON Schema 2020-12's meaning of each zod rule (what input
// it accepts), not copied from the converter's output; test/openapi.e2e-spec.ts then checks the
// served document against the server with an independent validator.
describe('toJsonSchema (zod input → JSON Schema)', () => {
  it('objects: required unless optional, nullish or defaulted; strict refuses other properties, strip says nothing', () => {
    const schema = z.object({ a: z.string(), b: z.number().optional(), c: z.boolean().default(false), d: z.string().nullish() }).strict();
    expect(toJsonSchema(schema)).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' }, c: { type: 'boolean', default: false }, d: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      required: ['a'],
      additionalProperties: false,
    });
    expect(toJsonSchema(z.object({ a: z.string() }))).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
  });

  it('string, number and array bounds; enums, literals, records, unions', () => {
    expect(toJsonSchema(z.string().min(1).max(200).regex(/^[a-z]+$/))).toEqual({ type: 'string', minLength: 1, maxLength: 200, pattern: '^[a-z]+$' });
    expect(toJsonSchema(z.coerce.number().int().min(1).max(1000))).toEqual({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(toJsonSchema(z.number().positive())).toEqual({ type: 'number', exclusiveMinimum: 0 });
    expect(toJsonSchema(z.array(z.string()).min(1))).toEqual({ type: 'array', items: { type: 'string' }, minItems: 1 });
    expect(toJsonSchema(z.enum(['event', 'knowledge']))).toEqual({ type: 'string', enum: ['event', 'knowledge'] });
    expect(toJsonSchema(z.union([z.literal('all'), z.array(z.string())]))).toEqual({ anyOf: [{ type: 'string', const: 'all' }, { type: 'array', items: { type: 'string' } }] });
    expect(toJsonSchema(z.record(z.string(), z.array(z.unknown())))).toEqual({ type: 'object', additionalProperties: { type: 'array', items: {} } });
  });

  it('transforms, refinements and pipes document their input', () => {
    expect(toJsonSchema(z.string().transform(Number))).toEqual({ type: 'string' });
    expect(toJsonSchema(z.string().refine((s) => s !== 'x'))).toEqual({ type: 'string' });
    expect(toJsonSchema(z.string().transform((s) => s.toUpperCase()).pipe(z.enum(['A'])))).toEqual({ type: 'string' });
  });

  it('documentAs gives a shape zod cannot show, built from the schemas it delegates to', () => {
    const rows = z.array(z.object({ k: z.string() })).min(1);
    const picked = documentAs(
      z.unknown().transform((v) => rows.parse(v)),
      (convert) => ({ anyOf: [convert(rows), { type: 'null' }] }),
    );
    expect(toJsonSchema(z.object({ p: picked }))).toEqual({
      type: 'object',
      properties: { p: { anyOf: [{ type: 'array', items: { type: 'object', properties: { k: { type: 'string' } }, required: ['k'] }, minItems: 1 }, { type: 'null' }] } },
      required: ['p'],
    });
  });

  it('a zod type it cannot convert is marked, not dropped', () => {
    expect(toJsonSchema(z.bigint())).toMatchObject({ 'x-zod-type': 'ZodBigInt' });
  });
});
