import { packValues, parseBarBatch } from '@app/features/stream/bar-batch.parser';
import type { BufferedMessage } from '@app/features/stream/micro-batch.consumer';
import { StreamBatchWriter } from '@app/features/stream/stream-batch.writer';
import type { FeatureStore } from '@app/features';
import { openStore, tempDataDir } from '../support/helpers';

const DAY = 86_400_000;
const BASE = Date.parse('2026-03-01T00:00:00Z');

function barValue(symbol: string, day: number, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ symbol, ts: new Date(BASE + day * DAY).toISOString(), open: 10, high: 11, low: 9, close: 10.5, volume: 100, ...extra }));
}

function batchOf(values: Buffer[]): { messages: BufferedMessage[]; parsing: Array<Promise<ReturnType<typeof parseBarBatch>>> } {
  const messages = values.map((value, i) => ({ partition: 0, offset: String(i), key: null, value, timestamp: '0' }));
  return { messages, parsing: [Promise.resolve(parseBarBatch(packValues(values), 65_536))] };
}

describe('the stream batch writer (real DuckDB, lake and registry)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let writer: StreamBatchWriter;

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir);
    writer = new StreamBatchWriter(store.ingestor, store.tmpDir, { dataset: 'bars_stream', topic: 'test.writer', maxMessageBytes: 65_536 });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('returns every rejected row in memory with its reason, and only the rows that passed set a refresh start', async () => {
    // 150 bars that fail the row checks (more than the 100 an ingest summary lists), the
    // earliest of them all; good bars of the same symbols later; a bar with a time out of range.
    const bad = Array.from({ length: 150 }, (_, i) => barValue(i % 2 ? 'AAA' : 'BBB', i - 200, { low: 12 }));
    const good = [barValue('AAA', 5), barValue('BBB', 7), barValue('AAA', 6)];
    const year1200 = barValue('AAA', 0, { ts: -99999999999 });
    const values = [good[0], ...bad.slice(0, 75), year1200, good[1], ...bad.slice(75), good[2]];
    const batch = batchOf(values);
    const written = await writer.write(batch, values.map(() => true));

    expect(written.result?.accepted).toBe(3);
    expect(written.deadLetters).toHaveLength(151);
    const reasons = new Map(written.deadLetters.map((d) => [d.message.offset, d.reason]));
    for (const [i, value] of values.entries()) {
      if (bad.includes(value)) expect({ i, reason: reasons.get(String(i)) }).toEqual({ i, reason: expect.stringMatching(/low: above high/) });
    }
    expect(reasons.get(String(values.indexOf(year1200)))).toMatch(/^ts: .*outside 1900\.\.2200/);
    expect([...written.refreshFrom].sort()).toEqual([
      ['AAA', BASE + 5 * DAY],
      ['BBB', BASE + 7 * DAY],
    ]);
  });

  it('dead-letters a batch of which no row passes, and sets no refresh start', async () => {
    const values = [barValue('CCC', 1, { close: 50 }), barValue('CCC', 2, { ts: -99999999999 })];
    const written = await writer.write(batchOf(values), [true, true]);
    expect(written.result).toBeNull();
    expect(written.deadLetters.map((d) => d.reason)).toEqual([expect.stringMatching(/^ts: .*outside/), expect.stringMatching(/close: outside \[low, high\]/)]);
    expect(written.refreshFrom.size).toBe(0);
  });

  it('writes only the fresh messages; re-delivered bars still set their symbols refresh start', async () => {
    const values = [barValue('DDD', 1), barValue('DDD', 2)];
    const batch = batchOf(values);
    batch.messages.forEach((m, i) => Object.assign(m, { offset: String(1000 + i) }));
    const written = await writer.write(batch, [false, true]);
    expect(written.result?.accepted).toBe(1);
    expect([...written.refreshFrom]).toEqual([['DDD', BASE + 1 * DAY]]);
  });
});
