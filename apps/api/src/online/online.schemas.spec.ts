import { parseWith } from '@app/features';
import { frameSchema } from '../feast/feast.schemas';
import { entitiesSchema, onlineLookupBody } from './online.schemas';

const fails = (run: () => unknown): { message: string; field: string } => {
  try {
    run();
  } catch (error) {
    const e = error as { message: string; details: { field: string } };
    return { message: e.message, field: e.details.field };
  }
  throw new Error('expected a failure');
};

describe('online request schemas', () => {
  it('keep the key arrays as sent (no copy on the hot path)', () => {
    const symbols = ['BTC-USD', 'ETH-USD'];
    expect(parseWith(entitiesSchema, { symbol: symbols }, 'entities').symbol).toBe(symbols);
  });

  it.each([
    [undefined, 'entities', /an object of key columns is required/],
    [['BTC-USD'], 'entities', /an object of key columns is required/],
    [{ symbol: [] }, 'entities.symbol', /a non-empty array of keys is required/],
    [{ symbol: 'BTC-USD' }, 'entities.symbol', /a non-empty array of keys is required/],
    [{ symbol: ['A', 42] }, 'entities.symbol[1]', /a key must be a non-empty string, got 42/],
    [{ symbol: ['A', ''] }, 'entities.symbol[1]', /got ""/],
  ])('refuse entities %j naming %s', (entities, field, message) => {
    const failure = fails(() => parseWith(onlineLookupBody, { features: ['v:f'], entities }, 'body'));
    expect(failure.field).toBe(field);
    expect(failure.message).toMatch(message);
    expect(failure.message.startsWith(`${field}: `)).toBe(true);
  });

  it('refuse a feature that is not a string and a feature service that is not a name', () => {
    expect(fails(() => parseWith(onlineLookupBody, { features: ['v:f', 7], entities: { symbol: ['A'] } }, 'body')).field).toBe('features[1]');
    expect(fails(() => parseWith(onlineLookupBody, { featureService: 7, entities: { symbol: ['A'] } }, 'body')).field).toBe('featureService');
  });

  it("check Feast's frames: columns are arrays of one length", () => {
    expect(parseWith(frameSchema, { symbol: ['A', 'B'], x: [1, 2] }, 'df')).toEqual({ symbol: ['A', 'B'], x: [1, 2] });
    expect(fails(() => parseWith(frameSchema, { symbol: ['A', 'B'], x: [1] }, 'df'))).toEqual({ field: 'x', message: 'x: 1 values, the other columns have 2' });
    expect(fails(() => parseWith(frameSchema, { symbol: 'A' }, 'df')).field).toBe('symbol');
    expect(fails(() => parseWith(frameSchema, [1], 'df')).field).toBe('df');
  });
});
