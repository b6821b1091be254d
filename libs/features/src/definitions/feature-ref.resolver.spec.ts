import type { DefinitionRepository, ServiceVersionRecord, ViewRecord, ViewVersionRecord } from '../registry/definition.repository';
import { defineFeatureService, defineFeatureView } from './feature-definition';
import { FeatureRefResolver } from './feature-ref.resolver';

const version = (name: string, v: number, features: string[]): ViewVersionRecord => ({
  name,
  version: v,
  digest: `${name}-${v}`,
  createdAt: '2026-01-01T00:00:00Z',
  definition: defineFeatureView({ name, entity: 'symbol', source: 'bars_1d', sql: 'SELECT 1', features: features.map((f) => ({ name: f, type: 'DOUBLE' })) }),
});

// The registry reads the resolver makes, over a fixed set of definitions (no store).
function registry(): Pick<DefinitionRepository, 'getView' | 'getViewVersion' | 'getService'> {
  const versions = [version('returns', 1, ['ret_1d']), version('returns', 2, ['ret_1d', 'ret_5d']), version('trend', 1, ['rsi_14'])];
  const services: ServiceVersionRecord[] = [
    { name: 'signals', version: 1, digest: 'd', createdAt: '2026-01-01T00:00:00Z', definition: defineFeatureService({ name: 'signals', features: ['trend:rsi_14', 'returns@1:ret_1d'] }) },
  ];
  const fake: Pick<DefinitionRepository, 'getView' | 'getViewVersion' | 'getService'> = {
    async getView(name) {
      const mine = versions.filter((v) => v.name === name);
      return mine.length ? ({ name, latest: Math.max(...mine.map((v) => v.version)) } as ViewRecord) : undefined;
    },
    async getViewVersion(name, v) {
      return versions.find((r) => r.name === name && r.version === v);
    },
    async getService(name) {
      return services.find((s) => s.name === name);
    },
  };
  return fake;
}

describe('FeatureRefResolver', () => {
  const resolver = new FeatureRefResolver(registry());

  it('resolves latest and pinned references to version records, in request order, with their output columns', async () => {
    const resolved = await resolver.resolve({ features: ['returns:ret_5d', 'trend:rsi_14', 'returns@1:ret_1d'] });
    expect(resolved.map((r) => [r.record.name, r.record.version, r.feature, r.column, r.field])).toEqual([
      ['returns', 2, 'ret_5d', 'returns__ret_5d', 'features[0]'],
      ['trend', 1, 'rsi_14', 'trend__rsi_14', 'features[1]'],
      ['returns', 1, 'ret_1d', 'returns__ret_1d', 'features[2]'],
    ]);
  });

  it('names a column by its version only where the request has its feature at several versions', async () => {
    const resolved = await resolver.resolve({ features: ['returns@1:ret_1d', 'trend:rsi_14', 'returns@2:ret_1d', 'returns:ret_5d'] });
    expect(resolved.map((r) => [r.record.version, r.column])).toEqual([
      [1, 'returns@1__ret_1d'],
      [1, 'trend__rsi_14'],
      [2, 'returns@2__ret_1d'],
      [2, 'returns__ret_5d'],
    ]);
    // The same version twice is still the same column twice.
    await expect(resolver.resolve({ features: ['returns@1:ret_1d', 'returns@2:ret_1d', 'returns@1:ret_1d'] })).rejects.toThrow('features[2]: returns@1__ret_1d is requested twice');
  });

  it('expands a feature service to its references', async () => {
    const resolved = await resolver.resolve({ featureService: 'signals' });
    expect(resolved.map((r) => `${r.record.name}@${r.record.version}:${r.feature}`)).toEqual(['trend@1:rsi_14', 'returns@1:ret_1d']);
  });

  it.each([
    [{ features: ['returns:ret_1d', 'returns@2:ret_1d'] }, 'INVALID_ARGUMENT', 'features[1]: returns__ret_1d is requested twice'],
    [{ features: [] }, 'INVALID_ARGUMENT', 'features: a non-empty list of feature references (or featureService) is required'],
    [{}, 'INVALID_ARGUMENT', 'features: a non-empty list of feature references (or featureService) is required'],
    [{ features: ['trend:rsi_14'], featureService: 'signals' }, 'INVALID_ARGUMENT', 'features: give either features or featureService, not both'],
    [{ featureService: '' }, 'INVALID_ARGUMENT', 'featureService: must be the name of a feature service'],
    [{ featureService: 'nope' }, 'UNKNOWN_REFERENCE', 'featureService: no feature service "nope"'],
    [{ features: ['nope:x'] }, 'UNKNOWN_FEATURE', 'features[0]: unknown feature view nope'],
    [{ features: ['trend:rsi_14', 'returns@3:ret_1d'] }, 'UNKNOWN_FEATURE', 'features[1]: feature view returns has no version 3'],
    [{ features: ['returns@1:ret_5d'] }, 'UNKNOWN_FEATURE', 'features[0]: returns@1 has no feature ret_5d'],
    [{ features: ['not a ref'] }, 'INVALID_ARGUMENT', /^features\[0\]: "not a ref" is not a feature reference/],
  ])('refuses %j', async (selection, code, message) => {
    const error = await resolver.resolve(selection).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(message);
  });
});
