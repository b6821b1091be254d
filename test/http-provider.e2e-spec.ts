import { readFileSync } from 'node:fs';
import { FixedClock, HttpJsonProvider, parseBarTiming, parseMappingOption, type FeatureStore } from '@app/features';
import { SAMPLE_CSV, lakeRows, openStore, referenceDailyBars, tempDataDir } from './support/helpers';
import { RecordedProviderServer, type RecordedBar } from './support/recorded-provider.server';

const daily = parseBarTiming({ interval: '1d' });
const JSON_MAPPING = parseMappingOption('ts=t,open=o,high=h,low=l,close=c,volume=v');

/** The sample's bars, as a provider would have recorded them (one per date: the later duplicate). */
function recordedBars(): RecordedBar[] {
  return [...referenceDailyBars(readFileSync(SAMPLE_CSV, 'utf8'), 'BTC-USD').values()].map((b) => ({
    date: new Date(Date.parse(String(b.ts)) - 86_400_000).toISOString().slice(0, 10),
    open: Number(b.open),
    high: Number(b.high),
    low: Number(b.low),
    close: Number(b.close),
    volume: Number(b.volume),
  }));
}

describe('HTTP market-data provider against a real local server', () => {
  let server: RecordedProviderServer;
  let base: string;
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  let clock: FixedClock;
  const btc = recordedBars();
  // A second symbol: the same recorded shape, prices scaled.
  const eth = btc.map((b) => ({ ...b, open: b.open / 20, high: b.high / 20, low: b.low / 20, close: b.close / 20 }));

  beforeEach(async () => {
    server = new RecordedProviderServer(new Map([['BTC-USD', btc], ['ETH-USD', eth]]));
    base = await server.start();
    tmp = tempDataDir();
    clock = new FixedClock(new Date('2021-05-01T12:00:00Z'));
    store = await openStore(tmp.dir, clock);
  });
  afterEach(async () => {
    await store.close();
    await server.stop();
    tmp.cleanup();
  });

  const pull = (template: string, symbols: string[], options: { mapping?: Record<string, string>; timeoutMs?: number; retries?: number } = {}) => {
    const provider = new HttpJsonProvider(
      { urlTemplate: template, symbols, since: new Date('2021-01-01'), dataset: 'bars_1d', timing: daily, tmpDir: store.tmpDir, backoffMs: 10, ...options },
      store.registry.streams,
      clock,
    );
    return store.ingest.run(provider, { dataset: 'bars_1d', createAs: 'bars' }).then((summary) => ({ summary, pulls: provider.pulls }));
  };

  it('pulls JSON and CSV answers, keeps only closed bars, and a second run asks only for what is new', async () => {
    const first = await pull(`${base}/json/{symbol}?start={start}&end={end}`, ['BTC-USD'], { mapping: JSON_MAPPING });
    await pull(`${base}/csv/{symbol}?from={start}&to={end}`, ['ETH-USD']);
    expect(server.requests).toEqual(['/json/BTC-USD?start=2021-01-01&end=2021-05-01', '/csv/ETH-USD?from=2021-01-01&to=2021-05-01']);
    // The bar dated 2021-05-01 is still forming at noon that day: it is not stored.
    const expected = btc.filter((b) => b.date < '2021-05-01').length;
    expect(first.summary.accepted).toBe(expected);

    clock.set(new Date('2021-07-01T00:30:00Z'));
    server.requests.length = 0;
    const second = await pull(`${base}/json/{symbol}?start={start}&end={end}`, ['BTC-USD'], { mapping: JSON_MAPPING });
    await pull(`${base}/csv/{symbol}?from={start}&to={end}`, ['ETH-USD']);
    expect(server.requests).toEqual(['/json/BTC-USD?start=2021-05-01&end=2021-07-01', '/csv/ETH-USD?from=2021-05-01&to=2021-07-01']);
    expect(second.summary.accepted).toBe(btc.filter((b) => b.date >= '2021-05-01' && b.date < '2021-07-01').length);

    const rows = await lakeRows(tmp.dir, 'bars_1d');
    const reference = referenceDailyBars(readFileSync(SAMPLE_CSV, 'utf8'), 'BTC-USD');
    const btcRows = rows.filter((r) => r.symbol === 'BTC-USD');
    expect(btcRows).toHaveLength(reference.size); // each bar exactly once across both runs
    for (const row of btcRows) expect(row.close).toBe(reference.get(String(row.ts))!.close);
    expect(rows.filter((r) => r.symbol === 'ETH-USD')).toHaveLength(reference.size);

    server.requests.length = 0;
    const third = await pull(`${base}/json/{symbol}?start={start}&end={end}`, ['BTC-USD'], { mapping: JSON_MAPPING });
    expect(third.summary.accepted).toBe(0);
    // The last recorded bar is dated 2021-06-26 (it closed 2021-06-27T00:00Z): ask from the 27th.
    expect(server.requests).toEqual(['/json/BTC-USD?start=2021-06-27&end=2021-07-01']);
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    server.failuresBefore.set('/csv/BTC-USD', [429, 503, 500]);
    const { summary, pulls } = await pull(`${base}/csv/{symbol}?from={start}&to={end}`, ['BTC-USD']);
    expect(pulls[0]).toMatchObject({ status: 'fetched', attempts: 4 });
    expect(summary.accepted).toBeGreaterThan(30);
  });

  it('gives up after the retries, on a timeout, or at once on a 404, and still ingests the other symbols', async () => {
    server.failuresBefore.set('/csv/ETH-USD', [503, 503, 503]);
    const { summary, pulls } = await pull(`${base}/csv/{symbol}?from={start}&to={end}`, ['NOPE', 'ETH-USD', 'BTC-USD'], { retries: 2 });
    expect(pulls.map((p) => [p.symbol, p.status, p.attempts])).toEqual([
      ['NOPE', 'failed', 1],
      ['ETH-USD', 'failed', 3],
      ['BTC-USD', 'fetched', 1],
    ]);
    expect(pulls[0].error).toMatch(/HTTP 404/);
    expect(summary.accepted).toBeGreaterThan(30);

    const hung = await pull(`${base}/hang/{symbol}?from={start}`, ['BTC-USD'], { timeoutMs: 200, retries: 1 });
    expect(hung.pulls[0]).toMatchObject({ status: 'failed', attempts: 2, error: expect.stringMatching(/timed out after 200 ms/) });
  });
});
