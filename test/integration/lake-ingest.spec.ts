import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCode,
  FileProvider,
  FixedClock,
  parseBarTiming,
  UnprocessableError,
  type FeatureStore,
} from '@app/features';
import { SAMPLE_CSV, lakeRows, openStore, query, referenceDailyBars, tempDataDir, writeText } from '../support/helpers';

const daily = parseBarTiming({ interval: '1d' });

describe('batch ingestion into the Parquet lake', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let clock: FixedClock;

  beforeEach(async () => {
    tmp = tempDataDir();
    clock = new FixedClock(new Date('2026-01-01T12:00:00Z'));
    store = await openStore(tmp.dir, clock);
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  const ingestFile = (path: string, options: Partial<ConstructorParameters<typeof FileProvider>[0]> = {}, force = false) =>
    store.ingest.run(new FileProvider({ path, timing: daily, symbol: 'BTC-USD', ...options }), { dataset: 'bars_1d', createAs: 'bars', force });

  it('stores the sample bars exactly as an independent reading of the CSV, at their close times', async () => {
    const summary = await ingestFile(SAMPLE_CSV);
    const reference = referenceDailyBars(readFileSync(SAMPLE_CSV, 'utf8'), 'BTC-USD');
    const rows = await lakeRows(tmp.dir, 'bars_1d');
    expect(summary.accepted).toBe(reference.size);
    expect(rows).toHaveLength(reference.size);
    for (const row of rows) {
      const { ingested_at, ...bar } = row;
      expect(bar).toEqual(reference.get(String(row.ts)));
      expect(ingested_at).toBe('2026-01-01T12:00:00Z');
    }
    // A daily bar dated 2021-03-26 is only known at 2021-03-27T00:00Z.
    expect(rows[0].ts).toBe('2021-03-27T00:00:00Z');
  });

  it('keeps the later of two rows for the duplicated date 2021-03-28 and reports it', async () => {
    const summary = await ingestFile(SAMPLE_CSV);
    const lines = readFileSync(SAMPLE_CSV, 'utf8').split('\n').filter((l) => l.startsWith('2021-03-28,'));
    expect(lines).toHaveLength(2);
    const laterClose = Number(lines[1].split(',')[4]);
    const rows = await lakeRows(tmp.dir, 'bars_1d');
    const bar = rows.filter((r) => r.ts === '2021-03-29T00:00:00Z');
    expect(bar).toHaveLength(1);
    expect(bar[0].close).toBe(laterClose);
    expect(summary.batches[0].supersededInBatch).toBe(1);
  });

  it('leaves the missing date 2021-06-25 missing and reports the gap', async () => {
    const summary = await ingestFile(SAMPLE_CSV);
    const rows = await lakeRows(tmp.dir, 'bars_1d');
    const days = rows.map((r) => String(r.ts).slice(0, 10));
    expect(days).not.toContain('2021-06-26');
    expect(days).toContain('2021-06-25');
    expect(days).toContain('2021-06-27');
    expect(summary.batches[0].gaps).toEqual([{ key: 'BTC-USD', missing: 1 }]);
  });

  it('sizes the partitions of daily bars by month, one file per batch per month, and nothing left in staging', async () => {
    const result = await ingestFile(SAMPLE_CSV);
    const partitions = readdirSync(join(tmp.dir, 'lake', 'bars_1d')).filter((p) => p.startsWith('date='));
    // The months the batch's days fall in, computed apart from the lake.
    const months = [...new Set((await lakeRows(tmp.dir, 'bars_1d')).map((r) => String(r.ts).slice(0, 7)))].sort();
    expect(months.length).toBeGreaterThan(1);
    expect(partitions.sort()).toEqual(months.map((m) => `date=${m}`));
    expect(result.batches[0].files).toHaveLength(months.length);
    for (const p of partitions) expect(readdirSync(join(tmp.dir, 'lake', 'bars_1d', p))).toEqual([expect.stringMatching(/^\d{8}T\d{9}Z-[0-9a-f]{12}(-\d+)?\.parquet$/)]);
    expect((await store.datasets.schema('bars_1d')).partition).toBe('month');
    expect(readdirSync(join(tmp.dir, 'staging'))).toEqual([]);
  });

  it('creates the dataset with the partition granularity asked for (--partition year)', async () => {
    await store.ingest.run(new FileProvider({ path: SAMPLE_CSV, timing: daily, symbol: 'BTC-USD' }), { dataset: 'bars_1d', createAs: 'bars', partition: 'year' });
    const years = [...new Set((await lakeRows(tmp.dir, 'bars_1d')).map((r) => `date=${String(r.ts).slice(0, 4)}`))].sort();
    expect(readdirSync(join(tmp.dir, 'lake', 'bars_1d')).filter((p) => p.startsWith('date=')).sort()).toEqual(years);
    expect((await store.datasets.schema('bars_1d')).partition).toBe('year');
  });

  it('writes nothing when the same content is ingested again, and again with --force', async () => {
    await ingestFile(SAMPLE_CSV);
    const before = await lakeRows(tmp.dir, 'bars_1d');
    clock.set(new Date('2026-01-02T00:00:00Z'));
    const again = await ingestFile(SAMPLE_CSV);
    expect(again.accepted).toBe(0);
    expect(again.skippedBatches).toBe(1);
    expect(await lakeRows(tmp.dir, 'bars_1d')).toEqual(before);
    const forced = await ingestFile(SAMPLE_CSV, {}, true);
    expect(forced.accepted).toBe(92);
    expect(await lakeRows(tmp.dir, 'bars_1d')).toHaveLength(184);
  });

  it('supersedes an earlier row with the same (symbol, ts) by a later ingested_at, keeping both', async () => {
    await ingestFile(SAMPLE_CSV);
    clock.set(new Date('2026-01-05T00:00:00Z'));
    const fix = writeText(tmp.dir, 'fix.csv', 'Date,High,Low,Open,Close,Volume,Adj Close\n2021-04-01,60000,50000,55000,59000,1,59000\n');
    await ingestFile(fix);
    const all = (await lakeRows(tmp.dir, 'bars_1d')).filter((r) => r.ts === '2021-04-02T00:00:00Z');
    expect(all.map((r) => r.ingested_at)).toEqual(['2026-01-01T12:00:00Z', '2026-01-05T00:00:00Z']);
    const schema = await store.datasets.schema('bars_1d');
    const current = await query(`SELECT close FROM (${await store.datasets.currentRowsSql(schema)}) WHERE ts = TIMESTAMPTZ '2021-04-02 00:00:00+00'`);
    expect(current).toEqual([{ close: 59000 }]);
    const info = await store.datasets.get('bars_1d');
    expect(info.rows).toBe(92);
    expect(info.batches).toBe(2);
  });

  it('quarantines bad rows with their reasons while good rows of the same batch land', async () => {
    const csv = [
      'Date,High,Low,Open,Close,Volume,Adj Close',
      '2021-01-01,10,9,9.5,9.8,100,9.8',
      '2021-01-02,10,9,11,9.8,100,9.8', // open above high
      'not-a-date,10,9,9.5,9.8,100,9.8',
      '2021-01-04,10,9,9.5,abc,100,9.8',
      '2021-01-05,10,9,9.5,9.8,-1,9.8',
      '2021-01-06,-10,-11,-10.5,-10.2,100,1',
      '2021-01-07,,9,9.5,9.8,100,9.8',
      '2021-01-08,10,9,9.5,9.9,100,9.9',
    ].join('\n');
    const summary = await ingestFile(writeText(tmp.dir, 'dirty.csv', csv));
    const batch = summary.batches[0];
    expect(batch.accepted).toBe(2);
    expect(batch.rejected).toBe(6);
    expect(batch.errors.map((e) => e.row)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(batch.errors[0].message).toBe('open: outside [low, high]');
    expect(batch.errors[1].message).toMatch(/^ts: cannot parse "not-a-date" as a UTC timestamp/);
    expect(batch.errors[2].message).toBe('close: cannot parse "abc" as DOUBLE');
    expect(batch.errors[3].message).toBe('volume: must be >= 0');
    expect(batch.errors[4].message).toMatch(/open: must be > 0.*high: must be > 0/);
    expect(batch.errors[5].message).toBe('high: required');
    const quarantined = readFileSync(batch.quarantineFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { row: number; error: string; raw: Record<string, string> });
    expect(quarantined).toHaveLength(6);
    expect(quarantined[2]).toEqual({ row: 4, error: 'close: cannot parse "abc" as DOUBLE', raw: expect.objectContaining({ Date: '2021-01-04', Close: 'abc' }) });
    expect((await lakeRows(tmp.dir, 'bars_1d')).map((r) => r.ts)).toEqual(['2021-01-02T00:00:00Z', '2021-01-09T00:00:00Z']);
  });

  it('refuses a batch with no valid row, writes no data file and declares no dataset', async () => {
    const csv = 'Date,High,Low,Open,Close,Volume,Adj Close\n2021-01-01,1,2,1.5,1.5,1,1\n';
    const summary = await ingestFile(writeText(tmp.dir, 'bad.csv', csv));
    expect(summary.accepted).toBe(0);
    expect(summary.failures[0].error).toMatch(/no valid row/);
    expect(existsSync(join(tmp.dir, 'lake', 'bars_1d'))).toBe(false);
    expect(await store.registry.datasets.getDataset('bars_1d')).toBeUndefined();
    await expect(
      store.ingestor.ingest({ dataset: 'bars_1d', source: { kind: 'file', path: join(tmp.dir, 'bad.csv'), format: 'csv', identity: 'x', label: 'bad' }, timing: daily, constants: { symbol: 'X' }, createAs: 'bars' }),
    ).rejects.toMatchObject({ code: ErrorCode.NothingIngested });
  });

  it('names a missing required column and writes nothing', async () => {
    const path = writeText(tmp.dir, 'noclose.csv', 'Date,High,Low,Open,Volume\n2021-01-01,10,9,9.5,1\n');
    await expect(
      store.ingestor.ingest({ dataset: 'bars_1d', source: { kind: 'file', path, format: 'csv', identity: 'y', label: 'noclose' }, timing: daily, constants: { symbol: 'X' }, createAs: 'bars' }),
    ).rejects.toThrow(UnprocessableError);
    expect(existsSync(join(tmp.dir, 'lake', 'bars_1d'))).toBe(false);
  });

  it('reads generic CSV, NDJSON, JSON and Parquet with a column mapping, to the same rows', async () => {
    const rows = [
      { ticker: 'AAA', when: '2024-03-01T00:00:00Z', o: 10, h: 12, l: 9, last: 11, qty: 1000 },
      { ticker: 'BBB', when: '2024-03-01T00:00:00Z', o: 20, h: 22, l: 19, last: 21, qty: 2000 },
    ];
    const mapping = { symbol: 'ticker', ts: 'when', open: 'o', high: 'h', low: 'l', close: 'last', volume: 'qty' };
    const csv = writeText(tmp.dir, 'g.csv', ['ticker,when,o,h,l,last,qty', ...rows.map((r) => Object.values(r).join(','))].join('\n'));
    const ndjson = writeText(tmp.dir, 'g.ndjson', rows.map((r) => JSON.stringify(r)).join('\n'));
    const json = writeText(tmp.dir, 'g.json', JSON.stringify(rows));
    const parquet = join(tmp.dir, 'g.parquet');
    await query(`COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet)`);
    const results: unknown[] = [];
    for (const [i, path] of [csv, ndjson, json, parquet].entries()) {
      const dataset = `generic_${i}`;
      const summary = await store.ingest.run(new FileProvider({ path, timing: { kind: 'close' }, mapping }), { dataset, createAs: 'bars' });
      expect(summary.accepted).toBe(2);
      results.push((await lakeRows(tmp.dir, dataset)).map(({ ingested_at: _, ...r }) => r));
    }
    expect(results[0]).toEqual([
      { symbol: 'AAA', ts: '2024-03-01T00:00:00Z', open: 10, high: 12, low: 9, close: 11, volume: 1000, adj_close: null },
      { symbol: 'BBB', ts: '2024-03-01T00:00:00Z', open: 20, high: 22, low: 19, close: 21, volume: 2000, adj_close: null },
    ]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[3]).toEqual(results[0]);
  });

  it('reads NDJSON of a writer that names its fields typed, and per row as text when one value breaks the typed read', async () => {
    const bar = (symbol: string, close: unknown) => JSON.stringify({ symbol, ts: '2024-03-01T00:00:00Z', open: 10, high: 12, low: 9, close, volume: 1000 });
    // Every value fits the dataset's types: the typed read takes it all, fields the writer named only.
    const clean = writeText(tmp.dir, 'clean.ndjson', [bar('AAA', 11), bar('BBB', 11.5)].join('\n'));
    const typed = await store.ingestor.ingest({ dataset: 'json_bars', source: { kind: 'file', path: clean, format: 'ndjson', identity: 'clean', label: 'clean', fields: ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume'] }, timing: { kind: 'close' }, createAs: 'bars' });
    expect(typed.accepted).toBe(2);
    // A value of the wrong kind fails only its own row, with its reason (the typed read fails, the text read takes over).
    const mixed = writeText(tmp.dir, 'mixed.ndjson', [bar('CCC', 11), bar('DDD', 'abc'), bar('EEE', { x: 1 }), bar('FFF', '11.25')].join('\n'));
    const batch = await store.ingestor.ingest({ dataset: 'json_bars', source: { kind: 'file', path: mixed, format: 'ndjson', identity: 'mixed', label: 'mixed', fields: ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume'] }, timing: { kind: 'close' }, createAs: 'bars' });
    expect(batch.accepted).toBe(2);
    expect(batch.rejected).toBe(2);
    const quarantined = readFileSync(batch.quarantineFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { row: number; error: string });
    expect(quarantined.map((q) => q.row)).toEqual([2, 3]);
    expect(quarantined[0].error).toContain('close: cannot parse "abc"');
    const rows = await lakeRows(tmp.dir, 'json_bars');
    expect(rows.map((r) => [r.symbol, r.close])).toEqual([['AAA', 11], ['BBB', 11.5], ['CCC', 11], ['FFF', 11.25]]);
  });

  it('reads other JSON per row as text: a boolean is not a number, as in CSV', async () => {
    const line = (close: unknown) => JSON.stringify({ symbol: 'BOOL', ts: '2024-03-02T00:00:00Z', open: 1, high: 1, low: 1, close, volume: 1 });
    const path = writeText(tmp.dir, 'bool.ndjson', [line(true), line(1)].join('\n'));
    const batch = await store.ingestor.ingest({ dataset: 'json_text', source: { kind: 'file', path, format: 'ndjson', identity: 'bool', label: 'bool' }, timing: { kind: 'close' }, createAs: 'bars' });
    expect([batch.accepted, batch.rejected]).toEqual([1, 1]);
    expect(batch.errors[0].message).toContain('close: cannot parse');
  });

  it('places equity daily bars at the NYSE close in UTC, across the DST change', async () => {
    const csv = 'Date,High,Low,Open,Close,Volume\n2021-03-12,10,9,9.5,9.8,1\n2021-03-15,10,9,9.5,9.8,1\n';
    const path = writeText(tmp.dir, 'spy.csv', csv);
    await store.ingest.run(new FileProvider({ path, symbol: 'SPY', timing: parseBarTiming({ timeIs: 'session', closeTime: '16:00', timeZone: 'America/New_York' }) }), {
      dataset: 'equity_1d',
      createAs: 'bars',
    });
    // EST (UTC-5) before 2021-03-14, EDT (UTC-4) after.
    expect((await lakeRows(tmp.dir, 'equity_1d')).map((r) => r.ts)).toEqual(['2021-03-12T21:00:00Z', '2021-03-15T20:00:00Z']);
  });

  it('keeps a row-supplied ingested_at, so a source can say when a value became known', async () => {
    const path = writeText(tmp.dir, 'known.ndjson', JSON.stringify({ symbol: 'K', ts: '2024-01-02T00:00:00Z', open: 1, high: 1, low: 1, close: 1, volume: 0, ingested_at: '2024-01-03T09:30:00Z' }));
    await store.ingest.run(new FileProvider({ path, timing: { kind: 'close' } }), { dataset: 'bars_1d', createAs: 'bars' });
    expect((await lakeRows(tmp.dir, 'bars_1d'))[0].ingested_at).toBe('2024-01-03T09:30:00Z');
  });
});
