import { allowedByPatterns, matchesPattern } from './name-pattern';

describe('matchesPattern (glob: * any run, ? one character)', () => {
  it.each([
    ['bars_*', 'bars_1d', true],
    ['bars_*', 'bars_', true],
    ['bars_*', 'bar_1d', false],
    ['bars_*', 'xbars_1d', false],
    ['*', '', true],
    ['*_1d', 'bars_1d', true],
    ['*_1d', 'bars_1m', false],
    ['b?rs', 'bars', true],
    ['b?rs', 'brs', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['returns', 'returns', true],
    ['returns', 'returns2', false],
    ['ret.*', 'retX', false], // no regex: the dot is a dot
    ['ret.*', 'ret.x', true],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
  });

  it('agrees with a regex reference on generated cases', () => {
    const alphabet = ['a', 'b', '*', '?'];
    const words = (n: number, chars: string[]): string[] => (n === 0 ? [''] : words(n - 1, chars).flatMap((w) => chars.map((c) => w + c)));
    const patterns = [0, 1, 2, 3, 4].flatMap((n) => words(n, alphabet));
    const names = [0, 1, 2, 3, 4].flatMap((n) => words(n, ['a', 'b']));
    for (const p of patterns) {
      const reference = new RegExp(`^${p.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      for (const n of names) expect({ p, n, m: matchesPattern(p, n) }).toEqual({ p, n, m: reference.test(n) });
    }
  });

  it('is quick on a pathological pattern', () => {
    const started = Date.now();
    expect(matchesPattern('*a*a*a*a*a*a*a*a*b', 'a'.repeat(200))).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('no patterns means no limit; an empty list allows nothing', () => {
    expect(allowedByPatterns(undefined, 'anything')).toBe(true);
    expect(allowedByPatterns([], 'anything')).toBe(false);
    expect(allowedByPatterns(['x', 'bars_*'], 'bars_1d')).toBe(true);
  });
});
