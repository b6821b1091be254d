import { InvalidArgumentError } from '../errors/feature-store.error';
import { MAX_VIEW_FEATURES, parseViewDefinition } from './definition.validation';

const view = (features: unknown[]) => ({ name: 'v', entity: 'symbol', source: 'bars_1d', sql: 'SELECT symbol, ts, close AS c FROM source', features });
const field = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('feature view definitions: bounded lists', () => {
  it('takes up to MAX_VIEW_FEATURES features and refuses more by length, without checking each', () => {
    const many = Array.from({ length: MAX_VIEW_FEATURES }, (_, i) => ({ name: `f${i}`, type: 'DOUBLE' }));
    expect(parseViewDefinition(view(many)).features).toHaveLength(MAX_VIEW_FEATURES);
    const started = Date.now();
    expect(field(() => parseViewDefinition(view(new Array(100_000).fill({ name: 'c', type: 'DOUBLE' }))))).toBe(`features: at most ${MAX_VIEW_FEATURES} features`);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('names only the first duplicate feature', () => {
    expect(field(() => parseViewDefinition(view([{ name: 'c', type: 'DOUBLE' }, { name: 'c', type: 'DOUBLE' }, { name: 'c', type: 'DOUBLE' }])))).toBe('features[1].name: duplicate feature c');
  });
});
