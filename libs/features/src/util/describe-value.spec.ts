import { describeValue } from './describe-value';

describe('describeValue', () => {
  it('shows scalars as JSON, long strings cut, arrays and objects by kind', () => {
    expect([describeValue('a"b'), describeValue(1), describeValue(null), describeValue(true), describeValue(undefined)]).toEqual(['"a\\"b"', '1', 'null', 'true', 'nothing']);
    expect(describeValue('x'.repeat(1_000_000))).toBe(`"${'x'.repeat(100)}"… (1000000 characters)`);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect([describeValue(deep), describeValue({ a: deep })]).toEqual(['an array', 'an object']);
  });
});
