import { cli } from './support/processes';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_CSV, lakeRows, referenceDailyBars, tempDataDir, writeText } from './support/helpers';
import { RecordedProviderServer } from './support/recorded-provider.server';


describe('ingest CLI', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  beforeEach(() => (tmp = tempDataDir()));
  afterEach(() => tmp.cleanup());

  it('file: ingests the vendor CSV, prints a summary, and a re-run writes nothing', async () => {
    const first = await cli(tmp.dir, ['file', SAMPLE_CSV, '--dataset', 'bars_1d', '--symbol', 'BTC-USD', '--interval', '1d']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/file → bars_1d: 92 rows accepted, 0 rejected/);
    expect(first.stdout).toMatch(/1 duplicate \(keys, ts\) rows: the later row of the batch won/);
    expect(first.stdout).toMatch(/gap: BTC-USD is missing 1 bar/);
    const second = await cli(tmp.dir, ['file', SAMPLE_CSV, '--dataset', 'bars_1d', '--symbol', 'BTC-USD', '--interval', '1d']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/same content ingested before, nothing written/);
    const reference = referenceDailyBars(readFileSync(SAMPLE_CSV, 'utf8'), 'BTC-USD');
    expect(await lakeRows(tmp.dir, 'bars_1d')).toHaveLength(reference.size);
  });

  it('file: exits 2 on bad arguments, 1 when nothing could be ingested, 0 when some rows landed', async () => {
    const noInterval = await cli(tmp.dir, ['file', SAMPLE_CSV, '--dataset', 'bars_1d', '--symbol', 'BTC-USD']);
    expect(noInterval.code).toBe(2);
    expect(noInterval.stderr).toMatch(/interval is required/);
    expect((await cli(tmp.dir, ['file', '/no/such.csv', '--interval', '1d'])).code).toBe(2);
    expect((await cli(tmp.dir, ['teleport'])).code).toBe(2);

    const allBad = writeText(tmp.dir, 'bad.csv', 'Date,High,Low,Open,Close,Volume\n2021-01-01,1,2,1,1,1\nxx,1,1,1,1,1\n');
    const bad = await cli(tmp.dir, ['file', allBad, '--symbol', 'X', '--interval', '1d']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAILED .*no valid row in the batch: 2 rejected/);

    const someBad = writeText(tmp.dir, 'some.csv', 'Date,High,Low,Open,Close,Volume\n2021-01-01,2,1,1.5,1.5,1\nxx,1,1,1,1,1\n');
    const some = await cli(tmp.dir, ['file', someBad, '--symbol', 'X', '--interval', '1d', '--json']);
    expect(some.code).toBe(0);
    const summary = JSON.parse(some.stdout) as { accepted: number; rejected: number; batches: Array<{ quarantineFile: string }> };
    expect(summary).toMatchObject({ accepted: 1, rejected: 1 });
    expect(readFileSync(summary.batches[0].quarantineFile, 'utf8')).toMatch(/"row":2,"error":"ts: cannot parse \\"xx\\"/);
  });

  it('http: pulls from a provider with retries and an incremental watermark', async () => {
    const server = new RecordedProviderServer(new Map([['AAA', [{ date: '2021-01-04', open: 10, high: 11, low: 9, close: 10.5, volume: 5 }, { date: '2021-01-05', open: 10.5, high: 12, low: 10, close: 11, volume: 6 }]]]));
    const base = await server.start();
    try {
      server.failuresBefore.set('/csv/AAA', [503]);
      const args = ['http', `${base}/csv/{symbol}?from={start}&to={end}`, '--symbols', 'AAA', '--since', '2021-01-01', '--interval', '1d', '--backoff-ms', '10'];
      const first = await cli(tmp.dir, args);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/http → bars_1d: 2 rows accepted/);
      expect(first.stdout).toMatch(/AAA: fetched .* \(2 attempt\(s\)\)/);
      const second = await cli(tmp.dir, args);
      expect(second.code).toBe(0);
      expect(server.requests.at(-1)).toBe('/csv/AAA?from=2021-01-06&to=' + new Date().toISOString().slice(0, 10));
      expect(await lakeRows(tmp.dir, 'bars_1d')).toHaveLength(2);
      const failing = await cli(tmp.dir, ['http', `${base}/csv/{symbol}`, '--symbols', 'ZZZ', '--since', '2021-01-01', '--interval', '1d']);
      expect(failing.code).toBe(1);
      expect(failing.stdout).toMatch(/ZZZ: FAILED after 1 attempt\(s\): HTTP 404/);
    } finally {
      await server.stop();
    }
  });

  it('synth: generates the requested universe into the lake', async () => {
    const run = await cli(tmp.dir, ['synth', '--symbols', '25', '--days', '100', '--seed', '7', '--end', '2025-06-30']);
    expect(run.code).toBe(0);
    const rows = await lakeRows(tmp.dir, 'bars_1d');
    expect(new Set(rows.map((r) => r.symbol)).size).toBe(25);
    expect(rows.length).toBeGreaterThan(2450);
    expect(rows.length).toBeLessThanOrEqual(2500);
    expect(String(rows.at(-1)!.ts) <= '2025-06-30T00:00:00Z').toBe(true);
  });

  it('names its data folder; apply --dry-run on a fresh folder plans everything new and writes nothing', async () => {
    const dry = await cli(tmp.dir, ['apply', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`data folder: ${tmp.dir}`);
    expect(dry.stdout).toMatch(/feature view returns: new view, version 1/);
    expect(dry.stdout).toMatch(/feature service market_signals: new/);
    expect(readdirSync(tmp.dir)).toEqual([]);
    // A folder that does not exist yet is not created; --json stays plain JSON on stdout.
    const missing = join(tmp.dir, 'not-yet');
    const json = await cli(missing, ['apply', '--dry-run', '--json']);
    expect(json.stderr).toContain(`data folder: ${missing}`);
    expect((JSON.parse(json.stdout) as Array<{ name: string }>).map((l) => l.name)).toContain('returns');
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('apply: registers the catalog with a plan, idempotently; materialize: computes it once', async () => {
    expect((await cli(tmp.dir, ['file', SAMPLE_CSV, '--symbol', 'BTC-USD', '--interval', '1d'])).code).toBe(0);
    const dry = await cli(tmp.dir, ['apply', '--dry-run']);
    expect(dry.stdout).toMatch(/feature view returns: new view, version 1/);
    const first = await cli(tmp.dir, ['apply']);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n').filter((l) => /new view, version 1/.test(l))).toHaveLength(6); // the five feature views and the label view forward_returns
    expect(first.stdout).toMatch(/entity symbol: new/);
    const extra = writeText(tmp.dir, 'defs.json', JSON.stringify({ views: [{ name: 'gap', entity: 'symbol', source: 'bars_1d', sql: 'SELECT symbol, ts, open / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS gap FROM source', features: [{ name: 'gap', type: 'DOUBLE' }] }] }));
    const second = await cli(tmp.dir, ['apply', '--file', extra]);
    expect(second.stdout).toMatch(/feature view returns: unchanged \(version 1\)/);
    expect(second.stdout).toMatch(/feature view gap: new view, version 1/);
    const changed = writeText(tmp.dir, 'defs2.json', readFileSync(extra, 'utf8').replace('- 1 AS gap', '- 1.0 AS gap'));
    expect((await cli(tmp.dir, ['apply', '--file', changed])).stdout).toMatch(/feature view gap: new version 2 \(changed: sql\)/);

    const mat = await cli(tmp.dir, ['materialize', 'all']);
    expect(mat.code).toBe(0);
    expect(mat.stdout).toMatch(/returns@1: 92 rows in/);
    expect(mat.stdout).toMatch(/gap@2: 92 rows in/);
    const again = await cli(tmp.dir, ['materialize', 'returns']);
    expect(again.stdout).toMatch(/returns@1: already materialised for this range, nothing written/);
    const pinned = await cli(tmp.dir, ['materialize', 'gap', '--version', '1', '--start', '2021-05-01', '--end', '2021-05-31']);
    expect(pinned.stdout).toMatch(/gap@1: 31 rows in/);
    expect((await cli(tmp.dir, ['materialize', 'nope'])).code).toBe(1);
  });
});
