import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { createApi } from '../apps/api/src/server';
import { ROOT, lakeRows, query, tempDataDir, testConfig } from './support/helpers';

type FetchBody = NonNullable<NonNullable<Parameters<typeof fetch>[1]>['body']>;

describe('HTTP API: health and datasets (real Fastify server on a real port)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    tmp = tempDataDir();
    const config = testConfig(tmp.dir, {
      BOOTSTRAP: 'true',
      BOOTSTRAP_SYMBOLS: '3',
      BOOTSTRAP_DAYS: '30',
      SAMPLES_DIR: join(ROOT, 'data', 'samples'),
      BODY_LIMIT_MB: '1',
    });
    ({ app } = await createApi(config));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  const send = async (method: string, path: string, body?: FetchBody, contentType = 'application/json') => {
    const res = await fetch(`${base}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': contentType } });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('reports health once the stores are open', async () => {
    expect(await send('GET', '/health')).toEqual({ status: 200, body: { status: 'ok', stores: { registry: 'ok', duckdb: 'ok', lake: 'ok', 'online:lmdb': 'ok' } } });
  });

  it('lists bars_1d with the sample and the synthetic universe ingested on first start', async () => {
    const { status, body } = await send('GET', '/v1/datasets');
    expect(status).toBe(200);
    const bars = body.find((d: { name: string }) => d.name === 'bars_1d');
    const [counted] = await query<{ n: number; symbols: number; lo: string; hi: string }>(
      `SELECT count(*) n, count(DISTINCT symbol) symbols, min(ts) lo, max(ts) hi FROM read_parquet('${tmp.dir}/lake/bars_1d/*/*.parquet')`,
    );
    expect(bars).toMatchObject({ name: 'bars_1d', keys: ['symbol'], timestampColumn: 'ts', rows: counted.n, minTs: '2021-03-27T00:00:00Z', maxTs: counted.hi });
    expect(counted.symbols).toBe(4); // BTC-USD and SYN0001..SYN0003
    // The synthetic universe ends today: its last bar closed at midnight UTC.
    expect(counted.hi).toBe(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    expect(bars.columns.map((c: { name: string }) => c.name)).toEqual(['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume', 'adj_close', 'ingested_at']);
  });

  it('declares a dataset (201), accepts the same declaration (200), refuses a different one (409)', async () => {
    const decl = { keys: ['symbol'], timestampColumn: 'ts', columns: [{ name: 'symbol', type: 'VARCHAR' }, { name: 'ts', type: 'TIMESTAMPTZ' }, { name: 'bid', type: 'DOUBLE' }] };
    expect((await send('PUT', '/v1/datasets/quotes', JSON.stringify(decl))).status).toBe(201);
    expect((await send('PUT', '/v1/datasets/quotes', JSON.stringify(decl))).status).toBe(200);
    const conflict = await send('PUT', '/v1/datasets/quotes', JSON.stringify({ ...decl, columns: [...decl.columns.slice(0, 2), { name: 'bid', type: 'VARCHAR' }] }));
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    const bad = await send('PUT', '/v1/datasets/quotes2', JSON.stringify({ columns: [{ name: 'symbol', type: 'MONEY' }] }));
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT', details: { field: 'columns[0].type' } } } });
  });

  it('takes rows as JSON, NDJSON, CSV, Parquet and Arrow IPC, to the same stored values', async () => {
    const bars = ['AAA', 'BBB'].map((symbol, i) => ({ symbol, ts: '2024-05-01T20:00:00Z', open: 10 + i, high: 12 + i, low: 9 + i, close: 11 + i, volume: 100 * (i + 1) }));
    const csv = ['symbol,ts,open,high,low,close,volume', ...bars.map((b) => Object.values(b).join(','))].join('\n');
    const parquetPath = join(tmp.dir, 'rows.parquet');
    require('node:fs').writeFileSync(join(tmp.dir, 'rows.csv'), csv);
    await query(`COPY (SELECT * REPLACE (ts::TIMESTAMPTZ AS ts) FROM read_csv('${join(tmp.dir, 'rows.csv')}')) TO '${parquetPath}' (FORMAT parquet)`);
    const arrow = tableToIPC(
      tableFromArrays({
        symbol: bars.map((b) => b.symbol),
        ts: bars.map((b) => new Date(b.ts)),
        open: Float64Array.from(bars.map((b) => b.open)),
        high: Float64Array.from(bars.map((b) => b.high)),
        low: Float64Array.from(bars.map((b) => b.low)),
        close: Float64Array.from(bars.map((b) => b.close)),
        volume: Float64Array.from(bars.map((b) => b.volume)),
      }),
      'stream',
    );
    const bodies: Array<[string, string, FetchBody]> = [
      ['push_json', 'application/json', JSON.stringify(bars)],
      ['push_ndjson', 'application/x-ndjson', bars.map((b) => JSON.stringify(b)).join('\n')],
      ['push_csv', 'text/csv', csv],
      ['push_parquet', 'application/vnd.apache.parquet', readFileSync(parquetPath)],
      ['push_arrow', 'application/vnd.apache.arrow.stream', Buffer.from(arrow)],
    ];
    for (const [dataset, type, body] of bodies) {
      const res = await send('POST', `/v1/datasets/${dataset}/rows`, body, type);
      expect({ dataset, ...res }).toMatchObject({ dataset, status: 200, body: { accepted: 2, rejected: 0, errors: [], duplicate: false } });
      const stored = (await lakeRows(tmp.dir, dataset)).map(({ ingested_at: _, ...r }) => r);
      // A dataset created by its first push takes that batch's columns (no adj_close here).
      expect(stored).toEqual(bars);
    }
    // The same body again is recognised and writes nothing.
    const again = await send('POST', '/v1/datasets/push_json/rows', JSON.stringify(bars));
    expect(again.body).toMatchObject({ accepted: 0, duplicate: true });
    expect(await lakeRows(tmp.dir, 'push_json')).toHaveLength(2);
  });

  it('reports bad rows by row number and message, keeping the good ones', async () => {
    const rows = [
      { symbol: 'CCC', ts: '2024-05-01T20:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 },
      { symbol: 'CCC', ts: 'later', open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 },
      { symbol: 'CCC', ts: '2024-05-03T20:00:00Z', open: 1, high: 2, low: 0.5, close: 'x', volume: 1 },
    ];
    const res = await send('POST', '/v1/datasets/bars_1d/rows', JSON.stringify(rows));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 2 });
    expect(res.body.errors).toEqual([
      { row: 2, message: 'ts: cannot parse "later" as a UTC timestamp' },
      { row: 3, message: 'close: cannot parse "x" as DOUBLE' },
    ]);
  });

  it('answers bad requests with 4xx and the error shape, never 500', async () => {
    const cases: Array<[string, string, FetchBody | undefined, string, number, string]> = [
      ['POST', '/v1/datasets/bars_1d/rows', '{oops', 'application/json', 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/datasets/bars_1d/rows', '{"a": 1}', 'application/json', 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/datasets/bars_1d/rows', '<rows/>', 'application/xml', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/v1/datasets/bars_1d/rows', 'x'.repeat(2 * 1024 * 1024), 'text/csv', 413, 'PAYLOAD_TOO_LARGE'],
      ['POST', '/v1/datasets/bad-name/rows', '[]', 'application/json', 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/datasets/bars_1d/rows', 'symbol,ts\nA,2024-01-01\n', 'text/csv', 422, 'MISSING_COLUMN'],
      ['POST', '/v1/datasets/bars_1d/rows', '[{"symbol":"A","ts":"2024-01-01","open":true,"high":1,"low":1,"close":1,"volume":1}]', 'application/json', 422, 'SCHEMA_MISMATCH'],
      ['POST', '/v1/datasets/bars_1d/rows', '[{"symbol":"A","ts":"2024-01-01","open":5,"high":1,"low":1,"close":1,"volume":1}]', 'application/json', 422, 'NOTHING_INGESTED'],
      ['POST', '/v1/datasets/bars_1d/rows', 'PAR1garbage', 'application/vnd.apache.parquet', 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/datasets/bars_1d/rows', 'not arrow', 'application/vnd.apache.arrow.stream', 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/datasets/new_from_rows/rows', '[{"ts":"2024-01-01","x":1}]', 'application/json', 422, 'MISSING_COLUMN'],
      ['GET', '/v1/datasets/nope', undefined, '', 404, 'UNKNOWN_DATASET'],
      ['GET', '/v1/nothing-here', undefined, '', 404, 'NOT_FOUND'],
    ];
    for (const [method, path, body, type, status, code] of cases) {
      const res = await send(method, path, body, type);
      expect({ path, type, status: res.status, code: res.body.error?.code }).toEqual({ path, type, status, code });
      expect(typeof res.body.error.message).toBe('string');
    }
    expect(await lakeRows(tmp.dir, 'bars_1d', 'symbol, ts').then((r) => r.filter((x) => x.symbol === 'A'))).toEqual([]);
  });

  it('serves while the ingest CLI writes to the same data directory from another process', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/ingest/src/main.ts', 'synth', '--symbols', '40', '--days', '200', '--seed', '11', '--dataset', 'bars_multi'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: tmp.dir },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Meanwhile the API ingests into the same dataset and registry.
    const pushes = await Promise.all(
      [1, 2, 3].map((i) =>
        send('POST', '/v1/datasets/bars_multi/rows', JSON.stringify([{ symbol: `API${i}`, ts: '2024-01-02T00:00:00Z', open: 1, high: 1, low: 1, close: 1, volume: 1 }])),
      ),
    );
    expect(pushes.map((p) => p.body)).toEqual([1, 2, 3].map(() => expect.objectContaining({ accepted: 1 })));
    expect(await exited).toBe(0);
    const [{ n, api }] = await query<{ n: number; api: number }>(
      `SELECT count(*) n, count(*) FILTER (WHERE symbol LIKE 'API%') api FROM read_parquet('${tmp.dir}/lake/bars_multi/*/*.parquet')`,
    );
    expect(api).toBe(3);
    const listed = (await send('GET', '/v1/datasets/bars_multi')).body;
    expect(listed).toMatchObject({ rows: n, batches: 4 });
  });
});
