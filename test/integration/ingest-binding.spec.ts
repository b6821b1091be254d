import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileProvider, FixedClock, parseBarTiming, sql, type FeatureStore } from '@app/features';
import { SAMPLE_CSV, lakeRows, openStore, tempDataDir, writeText } from '../support/helpers';

const HOSTILE = ["'; DROP TABLE bars_1d; --", 'a"b', 'back\\slash', 'semi;colon', 'line\nbreak', 'Zürich €', '$1', '?', "O'Brien -- x"];

// A fresh store per test (each writes its own lake).
let tmp: ReturnType<typeof tempDataDir>;
let store: FeatureStore;

beforeEach(async () => {
  tmp = tempDataDir();
  store = await openStore(tmp.dir, new FixedClock(new Date('2026-01-01T12:00:00Z')));
});
afterEach(async () => {
  await store.close();
  tmp.cleanup();
});

describe('batch ingestion binds every value', () => {
  it('stores symbols holding quotes, backslashes, semicolons, comments, newlines and non-ASCII unchanged, from a column and as a constant', async () => {
    const rows = HOSTILE.map((symbol, i) => JSON.stringify({ symbol, ts: `2024-01-0${i + 1}T00:00:00Z`, open: 1, high: 2, low: 1, close: 2, volume: 10 }));
    const fromColumn = await store.ingest.run(new FileProvider({ path: writeText(tmp.dir, 'hostile.ndjson', rows.join('\n')), timing: { kind: 'close' } }), {
      dataset: 'bars_1d',
      createAs: 'bars',
    });
    expect(fromColumn.accepted).toBe(HOSTILE.length);
    for (const symbol of HOSTILE) {
      const summary = await store.ingest.run(new FileProvider({ path: SAMPLE_CSV, timing: parseBarTiming({ interval: '1d' }), symbol }), { dataset: 'bars_1d', createAs: 'bars' });
      expect(summary.failures).toEqual([]);
    }
    const stored = await lakeRows(tmp.dir, 'bars_1d');
    const counts = new Map<unknown, number>();
    for (const row of stored) counts.set(row.symbol, (counts.get(row.symbol) ?? 0) + 1);
    // Each symbol: its one NDJSON row, and the 92 bars of the sample file under it.
    expect([...counts.keys()].sort()).toEqual([...HOSTILE].sort());
    for (const symbol of HOSTILE) expect(counts.get(symbol)).toBe(93);
  });

  it('keeps a source column name holding quotes in the quarantined raw row', async () => {
    const name = `it's "odd"; --`;
    const path = writeText(tmp.dir, 'odd.ndjson', JSON.stringify({ symbol: 'X', ts: 'never', open: 1, high: 1, low: 1, close: 1, volume: 1, [name]: "v'1" }));
    const summary = await store.ingest.run(new FileProvider({ path, timing: { kind: 'close' } }), { dataset: 'bars_1d', createAs: 'bars' });
    expect(summary.failures).toHaveLength(1);
    const quarantineDir = join(tmp.dir, 'quarantine', 'bars_1d');
    const [file] = readdirSync(quarantineDir);
    const [line] = readFileSync(join(quarantineDir, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { raw: Record<string, unknown> });
    expect(line.raw).toMatchObject({ symbol: 'X', ts: 'never', [name]: "v'1" });
  });
});

describe('times outside 1900..2200 are bad rows', () => {
  it('quarantines bars dated before 1900 or from 2200 on, and an ingested_at outside, with the reason; good rows land', async () => {
    const csv = [
      'symbol,ts,open,high,low,close,volume,ingested_at',
      'A,2021-01-01T00:00:00Z,1,2,1,2,10,',
      'A,1899-12-31T23:59:59Z,1,2,1,2,10,',
      'A,2200-01-01T00:00:00Z,1,2,1,2,10,',
      'A,2199-12-31T00:00:00Z,1,2,1,2,10,',
      'A,2021-01-02T00:00:00Z,1,2,1,2,10,1800-01-01T00:00:00Z',
    ].join('\n');
    const summary = await store.ingest.run(new FileProvider({ path: writeText(tmp.dir, 'times.csv', csv), timing: { kind: 'close' } }), { dataset: 'bars_1d', createAs: 'bars' });
    const batch = summary.batches[0];
    expect(batch.accepted).toBe(2);
    expect(batch.errors).toEqual([
      { row: 2, message: 'ts: outside 1900..2200 (seconds vs milliseconds?)' },
      { row: 3, message: 'ts: outside 1900..2200 (seconds vs milliseconds?)' },
      { row: 5, message: 'ingested_at: outside 1900..2200 (seconds vs milliseconds?)' },
    ]);
    const quarantined = readFileSync(batch.quarantineFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { row: number; error: string });
    expect(quarantined.map((q) => [q.row, q.error])).toEqual(batch.errors.map((e) => [e.row, e.message]));
    expect((await lakeRows(tmp.dir, 'bars_1d')).map((r) => r.ts)).toEqual(['2021-01-01T00:00:00Z', '2199-12-31T00:00:00Z']);
  });

  it('quarantines an epoch-seconds time of the year -1200', async () => {
    const result = await store.ingestor.ingest({
      dataset: 'bars_1d',
      source: {
        kind: 'query',
        sql: sql`SELECT * FROM (VALUES ('A', -99999999999, 1.0, 2.0, 1.0, 2.0, 10.0), ('A', 1609459200, 1.0, 2.0, 1.0, 2.0, 10.0)) t(symbol, ts, open, high, low, close, volume)`,
        identity: 'epoch-seconds',
        label: 'epoch seconds',
      },
      timing: { kind: 'close' },
      createAs: 'bars',
    });
    expect(result.accepted).toBe(1);
    expect(result.errors).toEqual([{ row: 1, message: 'ts: outside 1900..2200 (seconds vs milliseconds?)' }]);
    expect((await lakeRows(tmp.dir, 'bars_1d')).map((r) => r.ts)).toEqual(['2021-01-01T00:00:00Z']);
  });
});
