import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { keyHash } from '@app/features';
import { createApi } from '../apps/api/src/server';
import { ROOT, tempDataDir, testConfig } from './support/helpers';
import { checkWithPython, pointer, type SchemaCheck } from './support/openapi-check';
import { expectEventually } from './support/wait';

// Keys by scope: `all` holds every scope, the others exactly one (none implies another).
const KEYS: Record<string, string[]> = { all: ['read', 'write', 'admin'], read: ['read'], write: ['write'], admin: ['admin'] };
type Doc = { paths: Record<string, Record<string, any>>; components: any; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const VIEW = {
  name: 'oa_momentum',
  entity: 'symbol',
  source: 'bars_1d',
  ttl: '7d',
  sql: 'SELECT symbol, ts, close / lag(close) OVER w - 1 AS ret_1d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [{ name: 'ret_1d', type: 'DOUBLE' }],
};
const COLUMNS = [{ name: 'symbol', type: 'VARCHAR' }, { name: 'ts', type: 'TIMESTAMPTZ' }, { name: 'bid', type: 'DOUBLE' }];

/** GET /openapi.json and /docs against the real app: complete, valid, and agreeing with what the server does. */
describe('OpenAPI document (real Fastify server on a real port)', () => {
  const tmp = tempDataDir();
  const served: string[] = [];
  let app: NestFastifyApplication;
  let base: string;
  let doc: Doc;

  beforeAll(async () => {
    const keysFile = join(tmp.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(Object.entries(KEYS).map(([id, scopes]) => ({ id, keyHash: keyHash(`key-${id}`), scopes }))));
    ({ app } = await createApi(testConfig(tmp.dir, { BOOTSTRAP: 'true', BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '40', SAMPLES_DIR: join(ROOT, 'data', 'samples'), AUTH_KEYS_FILE: keysFile })));
    // Every route Fastify registers, as it registers them (Nest adds its routes on listen).
    app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) served.push(`${method} ${route.url}`);
    });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    const res = await call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  }, 180_000);
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  async function call(method: string, path: string, body?: unknown, key: string | null = 'all'): Promise<{ status: number; body: any; headers: Headers; text: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (key !== null) headers.authorization = `Bearer key-${key}`;
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics, the page)
    }
    return { status: res.status, body: parsed, headers: res.headers, text };
  }

  const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
  /** A concrete URL for a documented path: `{version}` → 1, other parameters → x. */
  const concrete = (path: string) => path.replace(/\{version\}/g, '1').replace(/\{[^}]+\}/g, 'x');

  it('is a valid OpenAPI 3.1 document (openapi-spec-validator)', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(checkWithPython(doc).spec).toBe('ok');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Every route has its answers described, and every zod type was converted.
    expect(operations().filter((o) => o.op['x-undescribed'] !== undefined).map((o) => `${o.method} ${o.path}`)).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain('"x-zod-type"');
  });

  it('documents every route Fastify serves, and nothing else', () => {
    const routes = served.filter((r) => !r.startsWith('HEAD ') && !r.startsWith('OPTIONS ')).map((r) => r.replace(/:([A-Za-z0-9_]+)/g, '{$1}'));
    const documented = operations().map((o) => `${o.method} ${o.path}`);
    expect(routes.length).toBeGreaterThan(25);
    expect([...new Set(documented)].sort()).toEqual([...new Set(routes)].sort());
    for (const { path, method } of operations()) expect(app.getHttpAdapter().getInstance().hasRoute({ method, url: path.replace(/\{([^}]+)\}/g, ':$1') })).toBe(true);
  });

  it("states each operation's scope as the guard enforces it (no key, another scope, only that scope)", async () => {
    for (const { path, method, op } of operations()) {
      const url = concrete(path);
      const body = method === 'GET' ? undefined : {};
      const scope: string = op['x-scope'];
      const anonymous = await call(method, url, body, null);
      if (scope === 'public') {
        expect({ route: `${method} ${path}`, status: anonymous.status, security: op.security }).toEqual({ route: `${method} ${path}`, status: 200, security: [] });
        continue;
      }
      expect(op.description).toContain(`\`${scope}\``);
      expect({ route: `${method} ${path}`, status: anonymous.status }).toEqual({ route: `${method} ${path}`, status: 401 });
      const other = ['read', 'write', 'admin'].find((s) => s !== scope) ?? 'read';
      expect({ route: `${method} ${path}`, status: (await call(method, url, body, other)).status }).toEqual({ route: `${method} ${path}`, status: 403 });
      const allowed = await call(method, url, body, scope);
      expect({ route: `${method} ${path}`, denied: [401, 403].includes(allowed.status) }).toEqual({ route: `${method} ${path}`, denied: false });
    }
  });

  // Each body is judged by the document's schema (Python's jsonschema) and by the server: a body
  // the document refuses is a 400, a body it accepts is served.
  const BODY_CASES: Array<{ method: string; path: string; url: string; body: unknown; valid: boolean; status: number }> = [
    { method: 'PUT', path: '/v1/datasets/{name}', url: '/v1/datasets/oa_quotes', body: { keys: ['symbol'], timestampColumn: 'ts', columns: COLUMNS }, valid: true, status: 201 },
    { method: 'PUT', path: '/v1/datasets/{name}', url: '/v1/datasets/oa_quotes2', body: { columns: COLUMNS, extra: 1 }, valid: false, status: 400 },
    { method: 'PUT', path: '/v1/datasets/{name}', url: '/v1/datasets/oa_quotes2', body: { keys: 'symbol', columns: COLUMNS }, valid: false, status: 400 },
    { method: 'PUT', path: '/v1/datasets/{name}', url: '/v1/datasets/oa_quotes2', body: { keys: ['symbol'] }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/feature-views', url: '/v1/feature-views', body: VIEW, valid: true, status: 201 },
    { method: 'POST', path: '/v1/feature-views', url: '/v1/feature-views', body: { ...VIEW, sql: undefined }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/feature-views', url: '/v1/feature-views', body: { ...VIEW, features: [] }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/feature-views', url: '/v1/feature-views', body: { ...VIEW, stream: 'yes' }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/feature-views', url: '/v1/feature-views', body: { ...VIEW, oops: 1 }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { features: ['returns:ret_1d'], entities: { symbol: ['SYN0001', 'NOPE'] } }, valid: true, status: 200 },
    { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { features: ['returns:ret_1d'], entities: { symbol: [] } }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { features: ['returns:ret_1d'], entities: { symbol: [1] } }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { features: 'returns:ret_1d', entities: { symbol: ['SYN0001'] } }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { features: ['returns:ret_1d'] }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: { from: 'bars_1d', symbols: ['BTC-USD'] }, runId: 'oa-run' }, valid: true, status: 200 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: [{ symbol: 'BTC-USD', ts: '2021-04-12T10:59:42Z', label: 1 }] }, valid: true, status: 200 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: [] }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: [1] }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: { symbols: ['BTC-USD'] } }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: { from: 'bars_1d' }, pointInTime: 'later' }, valid: false, status: 400 },
    { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: { from: 'bars_1d' }, runId: 'not a run id!' }, valid: false, status: 400 },
    { method: 'POST', path: '/push', url: '/push', body: { df: { symbol: ['SYN0001'] } }, valid: false, status: 400 },
  ];

  it('a body the document refuses, the server refuses with 400; a body it accepts is served', async () => {
    const bodyPointer = (path: string, method: string) => pointer('paths', path, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema');
    const verdicts = checkWithPython(doc, BODY_CASES.map((c) => ({ pointer: bodyPointer(c.path, c.method), instance: c.body }))).results;
    for (const [i, c] of BODY_CASES.entries()) {
      const res = await call(c.method, c.url, c.body);
      expect({ case: i, document: verdicts[i].valid, status: res.status }).toEqual({ case: i, document: c.valid, status: c.status });
    }
  });

  it('path and query parameters: what the document refuses is a 400, what it accepts is served', async () => {
    const param = (path: string, name: string) => {
      const index = (doc.paths[path].get.parameters as Array<{ name: string }>).findIndex((p) => p.name === name);
      return pointer('paths', path, 'get', 'parameters', index, 'schema');
    };
    const cases = [
      { check: { pointer: param('/v1/feature-views/{name}/versions/{version}', 'version'), instance: '0' }, url: '/v1/feature-views/returns/versions/0', valid: false, status: 400 },
      { check: { pointer: param('/v1/feature-views/{name}/versions/{version}', 'version'), instance: '1' }, url: '/v1/feature-views/returns/versions/1', valid: true, status: 200 },
      { check: { pointer: param('/v1/datasets/{name}', 'name'), instance: 'a'.repeat(201) }, url: `/v1/datasets/${'a'.repeat(201)}`, valid: false, status: 400 },
      { check: { pointer: param('/v1/audit', 'limit'), instance: 0 }, url: '/v1/audit?limit=0', valid: false, status: 400 },
      { check: { pointer: param('/v1/audit', 'limit'), instance: 1001 }, url: '/v1/audit?limit=1001', valid: false, status: 400 },
      { check: { pointer: param('/v1/audit', 'limit'), instance: 5 }, url: '/v1/audit?limit=5', valid: true, status: 200 },
    ];
    const verdicts = checkWithPython(doc, cases.map((c) => c.check)).results;
    for (const [i, c] of cases.entries()) {
      expect({ url: c.url, document: verdicts[i].valid, status: (await call('GET', c.url)).status }).toEqual({ url: c.url, document: c.valid, status: c.status });
    }
  });

  async function finished(jobId: string): Promise<string> {
    await expectEventually(async () => expect(['succeeded', 'failed']).toContain((await call('GET', `/v1/jobs/${jobId}`)).body.status), 60_000);
    return jobId;
  }

  it("the server's answers match the documented response schemas, errors included", async () => {
    const answers: Array<{ method: string; path: string; url: string; body?: unknown }> = [
      { method: 'GET', path: '/health', url: '/health' },
      { method: 'GET', path: '/health/live', url: '/health/live' },
      { method: 'GET', path: '/v1/datasets', url: '/v1/datasets' },
      { method: 'GET', path: '/v1/datasets/{name}', url: '/v1/datasets/bars_1d' },
      { method: 'PUT', path: '/v1/datasets/{name}', url: '/v1/datasets/oa_answers', body: { columns: COLUMNS } },
      { method: 'POST', path: '/v1/datasets/{name}/rows', url: '/v1/datasets/oa_answers/rows', body: [{ symbol: 'A', ts: '2024-01-01T00:00:00Z', bid: 1.5 }, { symbol: 'A', ts: 'later', bid: 1 }] },
      { method: 'GET', path: '/v1/feature-views', url: '/v1/feature-views' },
      { method: 'POST', path: '/v1/feature-views', url: '/v1/feature-views', body: VIEW },
      { method: 'GET', path: '/v1/feature-views/{name}', url: '/v1/feature-views/returns' },
      { method: 'GET', path: '/v1/feature-views/{name}/versions/{version}', url: '/v1/feature-views/returns/versions/1' },
      { method: 'GET', path: '/v1/feature-views/{name}/versions/{version}/runs', url: '/v1/feature-views/returns/versions/1/runs' },
      { method: 'POST', path: '/v1/feature-views/{name}/versions/{version}/materialize', url: '/v1/feature-views/oa_momentum/versions/1/materialize' },
      { method: 'GET', path: '/v1/entities', url: '/v1/entities' },
      { method: 'POST', path: '/v1/entities', url: '/v1/entities', body: { name: 'symbol', joinKeys: ['symbol'] } },
      { method: 'GET', path: '/v1/feature-services/{name}', url: '/v1/feature-services/market_signals' },
      { method: 'POST', path: '/v1/feature-services', url: '/v1/feature-services', body: { name: 'oa_service', features: ['returns:ret_1d'] } },
      { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { featureService: 'market_signals', entities: { symbol: ['SYN0001', 'NOPE'] } } },
      { method: 'POST', path: '/get-online-features', url: '/get-online-features', body: { features: ['returns:ret_1d'], entities: { symbol: ['SYN0001'] } } },
      { method: 'POST', path: '/v1/online-features', url: '/v1/online-features', body: { features: ['nope:x'], entities: { symbol: ['SYN0001'] } } },
      { method: 'POST', path: '/get-online-features', url: '/get-online-features', body: { features: ['nope:x'], entities: { symbol: ['SYN0001'] } } },
      { method: 'GET', path: '/v1/audit', url: '/v1/audit?limit=3' },
      { method: 'GET', path: '/v1/keys', url: '/v1/keys' },
      { method: 'GET', path: '/v1/datasets/{name}', url: '/v1/datasets/nope' },
    ];
    const created = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d', 'trend:rsi_14'], entities: { from: 'bars_1d', symbols: ['SYN0001'] }, runId: 'oa-run-2' });
    expect(created.status).toBe(200);
    const id: string = created.body.trainingSetId;
    answers.push(
      { method: 'POST', path: '/v1/training-sets', url: '/v1/training-sets', body: { features: ['returns:ret_1d'], entities: [{ symbol: 'SYN0001', ts: '2026-01-01T00:00:00Z' }] } },
      { method: 'GET', path: '/v1/training-sets/{id}', url: `/v1/training-sets/${id}` },
      { method: 'GET', path: '/v1/training-sets/{id}/data', url: `/v1/training-sets/${id}/data` },
      { method: 'POST', path: '/v1/runs', url: '/v1/runs', body: { runId: 'oa-run-3', trainingSetIds: [id] } },
      { method: 'GET', path: '/v1/runs/{runId}', url: '/v1/runs/oa-run-2' },
    );
    const checks: SchemaCheck[] = [];
    const seen: string[] = [];
    for (const a of answers) {
      const res = await call(a.method, a.url, a.body);
      // The materialisation job is waited for (the app must not close under it) and its record checked too.
      if (a.url.endsWith('/materialize') && res.status === 202) answers.push({ method: 'GET', path: '/v1/jobs/{id}', url: `/v1/jobs/${await finished(res.body.jobId)}` });
      const responses = doc.paths[a.path][a.method.toLowerCase()].responses;
      const documented = responses[String(res.status)] ?? responses.default;
      const schema = documented?.content?.['application/json']?.schema;
      expect({ url: a.url, status: res.status, documented: schema !== undefined }).toEqual({ url: a.url, status: res.status, documented: true });
      const status = responses[String(res.status)] !== undefined ? String(res.status) : 'default';
      checks.push({ pointer: pointer('paths', a.path, a.method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema'), instance: res.body });
      seen.push(`${a.method} ${a.url} ${res.status}`);
    }
    // Both kinds of answer were met: successes and errors (the Error and FeastError shapes).
    expect(seen.filter((s) => / 4\d\d$/.test(s)).length).toBeGreaterThanOrEqual(3);
    const results = checkWithPython(doc, checks).results;
    expect(results.map((r, i) => ({ answer: seen[i], errors: r.errors }))).toEqual(seen.map((answer) => ({ answer, errors: [] })));
  });

  it('the documented schemas are strict enough to refuse a wrong answer (the check can fail)', () => {
    const dataset = pointer('components', 'schemas', 'Dataset');
    const error = pointer('components', 'schemas', 'Error');
    const results = checkWithPython(doc, [
      { pointer: dataset, instance: { name: 'x', keys: ['symbol'], timestampColumn: 'ts', columns: [], rows: '3', minTs: null, maxTs: null, batches: 0 } },
      { pointer: error, instance: { error: { code: 'X', message: 'm' } } },
      { pointer: error, instance: { error: { code: 'X', message: 'm', details: null } } },
    ]).results;
    expect(results.map((r) => r.valid)).toEqual([false, false, true]);
  });

  it('/docs is one HTML page that names every operation, links the document and loads nothing else', async () => {
    const res = await call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = res.text;
    expect(html).toMatch(/href="[^"]*openapi\.json"/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    // Every URL the page holds stays on the page or on this server (no scheme, no //host).
    const urls = [...html.matchAll(/\b(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls.filter((u) => /^[a-z][a-z0-9+.-]*:|^\/\//i.test(u))).toEqual([]);
    for (const { path, method } of operations()) expect(html).toContain(`${method.toLowerCase()}</span><code>${path.replace(/&/g, '&amp;')}</code>`);
    expect((await call('GET', '/docs', undefined, null)).status).toBe(401);
  });
});
