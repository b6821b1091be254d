import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApi } from '../apps/api/src/server';
import { tempDataDir, testConfig } from './support/helpers';

type FetchBody = NonNullable<NonNullable<Parameters<typeof fetch>[1]>['body']>;

const BAR = { symbol: 'ERR', ts: '2024-05-01T20:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 };

/** Every error at the edge, the framework's own included, has one shape (Feast's on the Feast routes). */
describe('HTTP API: uniform errors (real Fastify server on a real port)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    tmp = tempDataDir();
    ({ app } = await createApi(testConfig(tmp.dir, { BODY_LIMIT_MB: '1' })));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  /** Sends a body with exactly the Content-Type given (none when undefined: bytes carry no type). */
  const send = async (method: string, path: string, body?: FetchBody, contentType?: string) => {
    const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
    const res = await fetch(`${base}${path}`, { method, body, headers });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const bytes = (text: string) => new TextEncoder().encode(text);

  /** The API's error shape exactly: code, message and details (null when there are none). */
  const expectShape = (body: unknown, code: string) => {
    expect(body).toMatchObject({ error: { code, message: expect.any(String) } });
    const error = (body as { error: { details?: unknown } }).error;
    expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message']);
    expect(error.details).not.toBeUndefined();
  };

  it('an unknown route is a 404 in the error shape, details null', async () => {
    for (const [method, path] of [['GET', '/v1/nothing-here'], ['POST', '/v1/nothing/here'], ['DELETE', '/v1/datasets']]) {
      const res = await send(method, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining(path), details: null } });
    }
  });

  it('malformed JSON is a 400 naming the body, on every JSON route', async () => {
    for (const [method, path] of [
      ['POST', '/v1/feature-views'],
      ['POST', '/v1/online-features'],
      ['PUT', '/v1/datasets/quotes'],
      ['POST', '/v1/entities'],
      ['POST', '/v1/feature-services'],
      ['POST', '/v1/datasets/quotes/rows'],
    ]) {
      const res = await send(method, path, '{"oops": ', 'application/json');
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expectShape(res.body, 'INVALID_ARGUMENT');
      expect(res.body.error.message).toMatch(/^body: malformed JSON/);
      expect(res.body.error.details).toEqual({ field: 'body' });
    }
  });

  it('a path parameter over its length limit is a 400 naming the parameter, not a 404', async () => {
    const long = 'a'.repeat(201);
    for (const [path, field] of [
      [`/v1/datasets/${long}`, 'name'],
      [`/v1/datasets/${'b'.repeat(12_000)}`, 'name'],
      [`/v1/feature-views/${long}`, 'name'],
      [`/v1/feature-views/${long}/versions/1`, 'name'],
      [`/v1/feature-services/${long}`, 'name'],
      [`/v1/jobs/${long}`, 'id'],
    ]) {
      const res = await send('GET', path);
      expect({ path: path.slice(0, 40), status: res.status }).toEqual({ path: path.slice(0, 40), status: 400 });
      expectShape(res.body, 'INVALID_ARGUMENT');
      expect(res.body.error.message).toMatch(new RegExp(`^${field}: at most 200 characters`));
      expect(res.body.error.details.field).toBe(field);
    }
    // A bad version number is named too (it was Nest's own message before).
    const version = await send('GET', '/v1/feature-views/returns/versions/two');
    expect(version.status).toBe(400);
    expect(version.body.error.details.field).toBe('version');
  });

  it('a body over the limit is a 413 in the error shape, JSON or raw', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    for (const [path, body, type] of [
      ['/v1/feature-views', JSON.stringify({ name: big }), 'application/json'],
      ['/v1/datasets/quotes/rows', big, 'text/csv'],
      ['/v1/online-features', big, 'text/plain'],
    ]) {
      const res = await send('POST', path, body, type);
      expect({ path, type, status: res.status }).toEqual({ path, type, status: 413 });
      expect(res.body).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), details: null } });
    }
  });

  it('a JSON route called with a missing or wrong Content-Type answers 415 naming application/json', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/v1/feature-views'],
      ['POST', '/v1/online-features'],
      ['PUT', '/v1/datasets/quotes'],
      ['POST', '/v1/entities'],
      ['POST', '/v1/feature-services'],
      ['POST', '/v1/feature-views/returns/versions/1/materialize'],
    ];
    for (const [method, path] of routes) {
      for (const [body, type] of [
        ['{"name": "x"}', 'text/plain'],
        ['name=x', 'application/x-www-form-urlencoded'],
        ['symbol,ts\nA,2024-01-01\n', 'text/csv'],
        ['<x/>', 'application/xml'],
        [bytes('{"name": "x"}'), undefined],
      ] as Array<[FetchBody, string | undefined]>) {
        const res = await send(method, path, body, type);
        expect({ path, type, status: res.status }).toEqual({ path, type, status: 415 });
        expectShape(res.body, 'UNSUPPORTED_MEDIA_TYPE');
        expect(res.body.error.message).toContain('application/json');
        expect(res.body.error.details).toEqual({ field: 'Content-Type', accepted: ['application/json'] });
      }
    }
    // A POST without a body needs no Content-Type: materialisation takes the whole range then.
    const started = await send('POST', '/v1/feature-views/returns/versions/1/materialize');
    expect(started.status).toBe(404);
    expect(started.body.error.code).toBe('UNKNOWN_FEATURE_VIEW');
  });

  it('the rows route answers 415 naming every table format it takes', async () => {
    for (const [body, type] of [
      ['a,b', 'text/plain'],
      [bytes('[]'), undefined],
      ['<rows/>', 'application/xml'],
    ] as Array<[FetchBody, string | undefined]>) {
      const res = await send('POST', '/v1/datasets/quotes/rows', body, type);
      expect({ type, status: res.status }).toEqual({ type, status: 415 });
      expectShape(res.body, 'UNSUPPORTED_MEDIA_TYPE');
      for (const accepted of ['application/json', 'application/x-ndjson', 'text/csv', 'application/vnd.apache.parquet', 'application/vnd.apache.arrow.stream']) {
        expect(res.body.error.message).toContain(accepted);
      }
    }
    // A header that is no media type at all (Fastify refuses it before the route): 415 too.
    for (const type of ['constructor', '__proto__']) {
      const res = await send('POST', '/v1/datasets/quotes/rows', 'x', type);
      expect({ type, status: res.status }).toEqual({ type, status: 415 });
      expectShape(res.body, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('row numbers in the rows route count from 1, in every format', async () => {
    const bad = { ...BAR, ts: '2024-05-02T20:00:00Z', close: 'x' };
    const json = await send('POST', '/v1/datasets/rows_json/rows', JSON.stringify([BAR, bad]), 'application/json');
    expect(json.body.errors).toEqual([{ row: 2, message: 'close: cannot parse "x" as DOUBLE' }]);
    const ndjson = await send('POST', '/v1/datasets/rows_ndjson/rows', [BAR, bad].map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson');
    expect(ndjson.body.errors).toEqual([{ row: 2, message: 'close: cannot parse "x" as DOUBLE' }]);
    const csv = ['symbol,ts,open,high,low,close,volume', Object.values(BAR).join(','), Object.values(bad).join(',')].join('\n');
    const fromCsv = await send('POST', '/v1/datasets/rows_csv/rows', csv, 'text/csv');
    expect(fromCsv.body.errors).toEqual([{ row: 2, message: 'close: cannot parse "x" as DOUBLE' }]);
    // A JSON array element that is not a row object: its index in the path, its row number in words.
    const notRow = await send('POST', '/v1/datasets/rows_json/rows', JSON.stringify([BAR, 7]), 'application/json');
    expect(notRow.status).toBe(400);
    expect(notRow.body).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'body[1]: row 2 is not a row object', details: { field: 'body[1]', row: 2 } } });
  });

  it('the Feast routes answer the framework errors in Feast’s shape too', async () => {
    const feast = (body: unknown) => JSON.parse(body as string) as { module: string; class: string; message: string };
    for (const path of ['/get-online-features', '/push', '/write-to-online-store']) {
      const malformed = await send('POST', path, '{"features": [', 'application/json');
      expect({ path, status: malformed.status }).toEqual({ path, status: 400 });
      expect(feast(malformed.body)).toEqual({ module: 'feast.errors', class: 'FeastError', message: expect.stringMatching(/^body: malformed JSON/) });
      const wrongType = await send('POST', path, 'features=x', 'application/x-www-form-urlencoded');
      expect({ path, status: wrongType.status }).toEqual({ path, status: 415 });
      expect(feast(wrongType.body).message).toContain('application/json');
      const tooLarge = await send('POST', path, JSON.stringify({ features: ['x'.repeat(2 * 1024 * 1024)] }), 'application/json');
      expect({ path, status: tooLarge.status }).toEqual({ path, status: 413 });
      expect(feast(tooLarge.body).module).toBe('feast.errors');
    }
  });
});
