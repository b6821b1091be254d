import { ZodError } from 'zod';
import { fastFeastLookup, feastLookupBody } from '../feast/feast.schemas';
import { fastOnlineLookup, onlineLookupBody } from './online.schemas';

// Bodies of every shape the routes meet: usual, unusual but valid, and invalid in each field.
const entities = [undefined, null, 'x', [], ['A'], {}, { symbol: [] }, { symbol: 'A' }, { symbol: ['A', 'B'] }, { symbol: ['A', ''] }, { symbol: ['A', 1] }, { symbol: ['A'], venue: ['X'] }, { symbol: [null] }];
const features = [undefined, null, 'v:f', [], ['v:f'], ['v:f', 'w@2:g'], ['v:f', 3], [null]];
const services = [undefined, null, '', 'svc', 7, {}];
const flags = [undefined, true, false, 'true', 0];

function* onlineBodies(): Generator<unknown> {
  yield undefined;
  yield null;
  yield [];
  yield 'text';
  for (const e of entities) for (const f of features) for (const s of services) yield { entities: e, features: f, featureService: s, extra: 1 };
}

function* feastBodies(): Generator<unknown> {
  for (const e of entities) for (const f of features) for (const s of services) for (const full of flags) yield { entities: e, features: f, feature_service: s, full_feature_names: full, include_feature_view_version_metadata: flags[(features.indexOf(f) + 1) % flags.length], allow_registry_cache: true };
}

// What zod answers, or 'refused'.
function reference(schema: { parse(v: unknown): unknown }, body: unknown): unknown {
  try {
    return schema.parse(body);
  } catch (error) {
    if (error instanceof ZodError) return 'refused';
    throw error;
  }
}

describe('fast body checks of the online lookups agree with their zod schemas', () => {
  it.each([
    ['POST /v1/online-features', fastOnlineLookup as (b: unknown) => unknown, onlineLookupBody, onlineBodies],
    ['POST /get-online-features', fastFeastLookup as (b: unknown) => unknown, feastLookupBody, feastBodies],
  ])('%s: never accepts what the schema refuses, and answers the same', (_route, fast, schema, bodies) => {
    let taken = 0;
    for (const body of bodies()) {
      const quick = fast(body);
      if (quick === undefined) continue;
      taken++;
      expect({ body, answer: quick }).toEqual({ body, answer: reference(schema, body) });
    }
    // The usual bodies take the fast way (else the check is pointless).
    expect(taken).toBeGreaterThan(20);
  });

  it('keeps the key arrays as sent', () => {
    const symbols = ['BTC-USD'];
    expect(fastOnlineLookup({ featureService: 's', entities: { symbol: symbols } })?.entities.symbol).toBe(symbols);
  });
});
