import { parseFeatureRef } from './feature-ref.parser';

describe('feature references', () => {
  it('parse latest and pinned references', () => {
    expect(parseFeatureRef('price_momentum:ret_1d')).toEqual({ view: 'price_momentum', version: null, feature: 'ret_1d' });
    expect(parseFeatureRef('volatility@12:vol_20d')).toEqual({ view: 'volatility', version: 12, feature: 'vol_20d' });
  });
  it.each(['', 'view', 'view:', ':feat', 'view@:f', 'view@x:f', 'view@0:f', 'a-b:c', "v:f'; DROP", 'v:f:g', 42])('reject %p naming the field', (ref) => {
    expect(() => parseFeatureRef(ref, 'features[2]')).toThrow(/^features\[2\]: /);
  });
});
