import { parseBarTiming } from '../../ingest/bar-timing';
import { nextStartDay, toBarsFile } from './http-json.provider';

describe('http provider helpers', () => {
  it('asks for the day after the last bar', () => {
    // A daily bar dated 2021-04-01 closes 2021-04-02T00:00Z: the next one to ask for is 2021-04-02.
    expect(nextStartDay('2021-04-02T00:00:00Z', parseBarTiming({ interval: '1d' }))).toBe('2021-04-02');
    expect(nextStartDay('2021-04-01T20:00:00Z', parseBarTiming({ timeIs: 'session' }))).toBe('2021-04-02');
  });

  it('finds the bars inside common JSON envelopes', () => {
    const bars = [{ date: '2021-01-01', close: 1 }];
    for (const body of [bars, { data: bars }, { results: bars, count: 1 }, { whatever: bars }]) {
      const file = toBarsFile(JSON.stringify(body), 'application/json', 'u');
      expect(file).toEqual({ format: 'ndjson', text: JSON.stringify(bars[0]) });
    }
    expect(toBarsFile('Date,Close\n2021-01-01,1\n', 'text/csv', 'u').format).toBe('csv');
  });

  it('refuses JSON without bars', () => {
    expect(() => toBarsFile('{"a": 1, "b": 2}', 'application/json', 'http://x')).toThrow(/without an array of bars/);
    expect(() => toBarsFile('{bad', 'application/json', 'http://x')).toThrow(/invalid JSON/);
  });
});
