import { InvalidArgumentError } from '../errors/feature-store.error';
import { addedEntry, refreshStartMs } from './pending-refresh';

describe('refreshStartMs', () => {
  it('reads ISO-8601 times inside 1900-2200 (naive ones as UTC)', () => {
    expect(refreshStartMs('k', '2026-01-02T00:00:00.000Z')).toBe(Date.UTC(2026, 0, 2));
    expect(refreshStartMs('k', '2026-01-02T05:00:00+05:00')).toBe(Date.UTC(2026, 0, 2));
    expect(refreshStartMs('k', '2026-01-02T00:00:00')).toBe(Date.UTC(2026, 0, 2));
    expect(refreshStartMs('k', '1900-01-01T00:00:00.000Z')).toBe(Date.UTC(1900, 0, 1));
  });

  it.each(['-001199-02-15T14:13:21.000Z', '+010000-01-01T00:00:00.000Z', '1899-12-31T23:59:59.999Z', '2200-01-01T00:00:00.000Z', 'not a time', '1', ''])(
    'refuses %j, naming the key',
    (since) => {
      expect(() => refreshStartMs('returns@1|BTC-USD', since)).toThrow(InvalidArgumentError);
      expect(() => refreshStartMs('returns@1|BTC-USD', since)).toThrow(/^since\["returns@1\|BTC-USD"\]/);
    },
  );
});

describe('addedEntry', () => {
  const add = (prior: { since: string; n: number } | undefined, since: string) => addedEntry(prior, since, refreshStartMs('k', since));

  it('starts a new key at n 1', () => {
    expect(add(undefined, '2026-01-02T00:00:00.000Z')).toEqual({ since: '2026-01-02T00:00:00.000Z', n: 1 });
  });

  it('keeps the earlier time, compared as times rather than as text', () => {
    expect(add({ since: '2026-01-01T00:00:00.000Z', n: 1 }, '2026-01-05T00:00:00.000Z')).toEqual({ since: '2026-01-01T00:00:00.000Z', n: 2 });
    expect(add({ since: '2026-01-05T00:00:00.000Z', n: 2 }, '2026-01-01T00:00:00.000Z')).toEqual({ since: '2026-01-01T00:00:00.000Z', n: 3 });
    // 19:00Z written with an offset sorts after 20:00Z as text.
    expect(add({ since: '2026-01-01T20:00:00.000Z', n: 1 }, '2026-01-02T00:00:00+05:00')).toEqual({ since: '2026-01-02T00:00:00+05:00', n: 2 });
  });

  it('never keeps a stored start that is no sane time', () => {
    // As text "-001199-…" sorts before every real start, so it used to win every time.
    expect(add({ since: '-001199-02-15T14:13:21.000Z', n: 4 }, '2026-01-02T00:00:00.000Z')).toEqual({ since: '2026-01-02T00:00:00.000Z', n: 5 });
    expect(add({ since: 'garbage', n: 1 }, '2026-01-02T00:00:00.000Z')).toEqual({ since: '2026-01-02T00:00:00.000Z', n: 2 });
  });
});
