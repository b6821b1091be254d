import { BarBatchParser, mergeParsed, packValues, parseBarBatch, type ParsedBarBatch } from './bar-batch.parser';
import { parseBarMessage, tsMillis } from './bar-message';

const bar = (symbol: string, day: number, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ symbol, ts: `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, ...extra }));

// Good bars, poison of every kind, a tombstone, non-ASCII text and an oversize message, mixed.
const values: Array<Buffer | null> = [
  bar('AAA', 3),
  Buffer.from('not json'),
  bar('BBB', 2, { note: 'ünïcode ✓' }),
  null,
  bar('AAA', 1),
  Buffer.from('[1,2]'),
  bar('CCC', 5, { open: '1' }),
  Buffer.from(JSON.stringify({ symbol: 'DDD', ts: 1767225600, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, adj_close: null })),
  Buffer.alloc(0),
  bar('EEE', 4, { pad: 'x'.repeat(600) }),
  bar('BBB', 1),
  // One bar over two lines, and one with bytes that are not UTF-8 in its symbol: both
  // must come out as one valid line.
  Buffer.from(JSON.stringify({ symbol: 'FFF', ts: '2026-01-02T00:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }, null, 2)),
  Buffer.concat([Buffer.from('{"symbol":"GG'), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from('G","ts":"2026-01-02T00:00:00Z","open":1,"high":2,"low":0.5,"close":1.5,"volume":10}')]),
  // Times outside 1900..2200 (year -1200 in epoch seconds, 1850, year 5138 in epoch ms): bad input.
  bar('AAA', 1, { ts: -99999999999 }),
  bar('BBB', 1, { ts: '1850-06-01T00:00:00Z' }),
  bar('CCC', 1, { ts: 99999999999999 }),
];

// The reference: parseBarMessage on each message, one by one.
function expectSameAsOneByOne(parsed: ParsedBarBatch, maxBytes: number): void {
  const bytes = Buffer.from(parsed.ndjson);
  expect(bytes.toString('utf8')).toBe(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  const text = bytes.toString('utf8');
  const written = text.split('\n');
  expect(written.pop()).toBe('');
  const lines: string[] = [];
  const oldest = new Map<string, number>();
  values.forEach((v, i) => {
    const one = parseBarMessage(v, maxBytes);
    if ('error' in one) {
      expect(parsed.lineEnds[i]).toBe(-1);
      expect(parsed.errors).toContainEqual([i, one.error]);
      return;
    }
    // Each bar's line holds exactly the checked row's fields and values (as it came, or rewritten).
    expect(JSON.parse(written[lines.length])).toEqual(one.row);
    lines.push(written[lines.length]);
    expect(parsed.lineEnds[i]).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));
    const t = tsMillis(one.row.ts);
    const symbol = String(one.row.symbol);
    if (!oldest.has(symbol) || t < oldest.get(symbol)!) oldest.set(symbol, t);
  });
  expect(written).toHaveLength(lines.length);
  expect(new Map(parsed.oldest)).toEqual(oldest);
  expect(parsed.errors).toHaveLength(values.filter((v) => 'error' in parseBarMessage(v, maxBytes)).length);
}

describe('one bar message', () => {
  it('refuses a time outside 1900..2200, naming ts, and takes the edges of the range', () => {
    for (const ts of [-99999999999, '1899-12-31T23:59:59Z', '2200-01-01T00:00:00Z', 99999999999999, -1e15]) {
      const parsed = parseBarMessage(bar('AAA', 1, { ts }), 512);
      expect({ ts, error: 'error' in parsed ? parsed.error : null }).toEqual({ ts, error: expect.stringMatching(/^ts: .*outside 1900\.\.2200/) });
    }
    for (const ts of ['1900-01-01T00:00:00Z', '2199-12-31T23:59:59Z', 0, 1767225600, 1767225600000]) {
      const parsed = parseBarMessage(bar('AAA', 1, { ts }), 512);
      expect({ ts, ok: 'row' in parsed }).toEqual({ ts, ok: true });
    }
  });

  it('leaves a bad time out of the oldest bar per symbol', () => {
    const parsed = parseBarBatch(packValues([bar('AAA', 5), bar('AAA', 1, { ts: -99999999999 }), bar('ZZZ', 1, { ts: '1850-06-01T00:00:00Z' })]), 512);
    expect(parsed.oldest).toEqual([['AAA', Date.parse('2026-01-05T00:00:00Z')]]);
    expect(parsed.errors.map(([i]) => i)).toEqual([1, 2]);
  });
});

describe('the structural check of a micro-batch', () => {
  it('equals parseBarMessage on each message: lines, line ends, reasons, oldest bar per symbol', () => {
    expectSameAsOneByOne(parseBarBatch(packValues(values), 512), 512);
    expectSameAsOneByOne(parseBarBatch(packValues(values), 10_000), 10_000);
  });

  it('merges the checks of consecutive runs of messages into the check of them all', () => {
    for (const cuts of [[0, 11], [3, 4, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]) {
      const bounds = [0, ...cuts.filter((c) => c > 0 && c < values.length), values.length];
      const parts = bounds.slice(1).map((end, k) => parseBarBatch(packValues(values.slice(bounds[k], end)), 512));
      expectSameAsOneByOne(mergeParsed(parts), 512);
    }
  });

  it('fails what a dead thread held, and answers the next batch from a new thread', async () => {
    const parser = new BarBatchParser(512);
    try {
      const lost = parser.parse(values);
      await (parser as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await expect(lost).rejects.toThrow(/exited/);
      expectSameAsOneByOne(await parser.parse(values), 512);
    } finally {
      await parser.close();
    }
  });

  it('gives the same answer from its worker thread, batch after batch', async () => {
    const parser = new BarBatchParser(512);
    try {
      const [a, b] = await Promise.all([parser.parse(values), parser.parse(values)]);
      expectSameAsOneByOne(a, 512);
      expectSameAsOneByOne(b, 512);
      const empty = await parser.parse([]);
      expect(empty.ndjson.byteLength).toBe(0);
    } finally {
      await parser.close();
    }
  });
});
