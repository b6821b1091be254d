import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeyStore, keyHash, type ApiKeyEntry } from '@app/features';
import type { FastifyRequest } from 'fastify';
import { AuthEvents, type AuthDenial } from '../apps/api/src/auth/auth-events';
import type { RequestAuth } from '../apps/api/src/auth/request-auth';
import { createApi } from '../apps/api/src/server';
import { ROOT, tempDataDir, testConfig } from './support/helpers';
import { feastSdk } from './support/feast-sdk';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

type Scope = 'read' | 'write' | 'admin';

const KEYS = { reader: 'key-reader-1', writer: 'key-writer-1', admin: 'key-admin-1', writeOnly: 'key-write-only-1', limited: 'key-limited-1' } as const;
const ENTRIES: ApiKeyEntry[] = [
  { id: 'reader', keyHash: keyHash(KEYS.reader), scopes: ['read'] },
  { id: 'writer', keyHash: keyHash(KEYS.writer), scopes: ['read', 'write'] },
  { id: 'admin', keyHash: keyHash(KEYS.admin), scopes: ['read', 'write', 'admin'] },
  { id: 'write-only', keyHash: keyHash(KEYS.writeOnly), scopes: ['write'] },
  { id: 'limited', keyHash: keyHash(KEYS.limited), scopes: ['read', 'write'], datasets: ['bars_*'], views: ['ret*'] },
];

const ENTITIES = { symbol: ['A'] };
/** Every route and the scope it needs (README's HTTP API table). */
const ROUTES: Array<[string, string, Scope, unknown?]> = [
  ['GET', '/v1/datasets', 'read'],
  ['GET', '/v1/datasets/bars_1d', 'read'],
  ['GET', '/v1/feature-views', 'read'],
  ['GET', '/v1/feature-views/returns', 'read'],
  ['GET', '/v1/feature-views/returns/versions/1', 'read'],
  ['GET', '/v1/feature-views/returns/versions/1/runs', 'read'],
  ['GET', '/v1/entities', 'read'],
  ['GET', '/v1/feature-services/svc', 'read'],
  ['GET', '/v1/jobs/job1', 'read'],
  ['GET', '/v1/runs/run1', 'read'],
  ['GET', '/v1/training-sets/ts1', 'read'],
  ['GET', '/v1/training-sets/ts1/data', 'read'],
  ['POST', '/v1/training-sets', 'read', { features: ['returns:x'], entities: [{ symbol: 'A', ts: '2024-01-01T00:00:00Z' }] }],
  ['POST', '/v1/online-features', 'read', { features: ['returns:x'], entities: ENTITIES }],
  ['POST', '/get-online-features', 'read', { features: ['returns:x'], entities: ENTITIES }],
  ['GET', '/health', 'read'],
  ['GET', '/metrics', 'read'],
  ['POST', '/v1/datasets/bars_1d/rows', 'write', []],
  ['POST', '/push', 'write', { push_source_name: 'bars_1d', df: {}, to: 'offline' }],
  ['POST', '/write-to-online-store', 'write', { feature_view_name: 'returns', df: {} }],
  ['POST', '/v1/feature-views/returns/versions/1/materialize', 'write', {}],
  ['POST', '/v1/runs', 'write', {}],
  ['POST', '/v1/feature-views', 'admin', {}],
  ['POST', '/v1/feature-services', 'admin', {}],
  ['POST', '/v1/entities', 'admin', {}],
  ['PUT', '/v1/datasets/bars_1d', 'admin', {}],
  ['GET', '/v1/keys', 'admin'],
];
const FEAST = new Set(['/get-online-features', '/push', '/write-to-online-store']);
/** A key that lacks each scope. */
const LACKS: Record<Scope, string> = { read: KEYS.writeOnly, write: KEYS.reader, admin: KEYS.writer };

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(base: string, method: string, path: string, key?: string, body?: unknown, header = 'authorization'): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers[header] = `Bearer ${key}`;
  const csv = typeof body === 'string';
  if (body !== undefined) headers['content-type'] = csv ? 'text/csv' : 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : csv ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // /metrics is text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The error of an answer, in our shape or (Feast routes) Feast's JSON-string shape. */
function errorOf(path: string, answer: Answer): { code?: string; class?: string; message: string } {
  if (FEAST.has(path)) {
    expect(typeof answer.body).toBe('string');
    const feast = JSON.parse(answer.body as string) as { module: string; class: string; message: string };
    expect(feast.module).toBe('feast.errors');
    return feast;
  }
  expect(Object.keys(answer.body.error).sort()).toEqual(['code', 'details', 'message']);
  return answer.body.error;
}

describe('Access control: API keys and scopes (real server, real keys file)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let keysFile: string;
  let app: NestFastifyApplication;
  let base: string;
  const seen: Array<RequestAuth | undefined> = [];

  beforeAll(async () => {
    tmp = tempDataDir('fs-auth-');
    keysFile = join(tmp.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(ENTRIES));
    ({ app } = await createApi(testConfig(join(tmp.dir, 'data'), { AUTH_KEYS_FILE: keysFile })));
    app.getHttpAdapter().getInstance().addHook('onResponse', (request: FastifyRequest, _reply: unknown, done: () => void) => {
      seen.push(request.auth);
      done();
    });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  it('no key or an unknown key is a 401 with WWW-Authenticate: Bearer on every route but /health/live', async () => {
    for (const [method, path, , body] of ROUTES) {
      for (const key of [undefined, 'wrong-key', `${KEYS.admin}x`]) {
        const answer = await call(base, method, path, key, body);
        expect({ method, path, key, status: answer.status }).toEqual({ method, path, key, status: 401 });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
        const error = errorOf(path, answer);
        if (FEAST.has(path)) expect(error.class).toBe('FeastError');
        else expect(error.code).toBe('UNAUTHENTICATED');
      }
    }
    // Not Bearer, or the key in another header: still no key.
    expect((await call(base, 'GET', '/v1/datasets', KEYS.reader, undefined, 'x-api-key')).status).toBe(401);
    const basic = await fetch(`${base}/v1/datasets`, { headers: { authorization: `Basic ${KEYS.reader}` } });
    expect(basic.status).toBe(401);
  });

  it('a body without a valid key is refused before it is read: 401, not 400 for malformed JSON', async () => {
    const events: AuthDenial[] = [];
    const spy = jest.spyOn(app.get(AuthEvents), 'denied').mockImplementation((d) => void events.push(d));
    try {
      for (const path of ['/v1/feature-views', '/v1/datasets/bars_1d/rows', '/get-online-features']) {
        const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"oops": ' });
        expect({ path, status: res.status }).toEqual({ path, status: 401 });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
      // With a valid key the route's own check answers.
      expect((await fetch(`${base}/v1/feature-views`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' }, body: '{"oops": ' })).status).toBe(400);
      await call(base, 'GET', '/v1/keys', KEYS.reader);
      expect(events).toEqual([
        { keyId: null, route: '/v1/feature-views', method: 'POST', status: 401, reason: 'no key: send Authorization: Bearer <key>' },
        { keyId: null, route: '/v1/datasets/:name/rows', method: 'POST', status: 401, reason: expect.any(String) },
        { keyId: null, route: '/get-online-features', method: 'POST', status: 401, reason: expect.any(String) },
        { keyId: 'reader', route: '/v1/keys', method: 'GET', status: 403, reason: 'key reader lacks the scope admin' },
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('sets request.auth for handlers (the key id; anonymous for public routes)', async () => {
    await call(base, 'GET', '/v1/datasets', KEYS.reader);
    await call(base, 'GET', '/health/live');
    expect(seen.slice(-2)).toEqual([{ keyId: 'reader', scopes: ['read'] }, { keyId: 'anonymous', scopes: ['read', 'write', 'admin'] }]);
  });

  it('a key without the scope is a 403 naming the scope; a key with it passes the guard', async () => {
    for (const [method, path, scope, body] of ROUTES) {
      const denied = await call(base, method, path, LACKS[scope], body);
      expect({ method, path, status: denied.status }).toEqual({ method, path, status: 403 });
      const error = errorOf(path, denied);
      expect(error.message).toContain(`scope ${scope}`);
      if (!FEAST.has(path)) expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', details: { scope } });
      const allowed = await call(base, method, path, scope === 'read' ? KEYS.reader : scope === 'write' ? KEYS.writer : KEYS.admin, body);
      expect({ method, path, passed: ![401, 403].includes(allowed.status) && allowed.status < 500 }).toEqual({ method, path, passed: true });
    }
  });

  it('the audit trail holds refusals (401, 403) and changes under the key that made them; only admin reads it', async () => {
    expect((await call(base, 'GET', '/v1/audit', KEYS.writer)).status).toBe(403);
    expect((await call(base, 'PUT', '/v1/datasets/audit_probe', 'not-a-key', { keys: ['symbol'], timestampColumn: 'ts', columns: [] })).status).toBe(401);
    expect((await call(base, 'PUT', '/v1/datasets/audit_probe', KEYS.writer, { keys: ['symbol'], timestampColumn: 'ts', columns: [] })).status).toBe(403);
    const rows = [{ symbol: 'AUDITED', ts: '2024-05-01T20:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 }];
    expect((await call(base, 'POST', '/v1/datasets/audit_rows/rows', KEYS.writer, rows)).status).toBe(200);
    await expectEventually(async () => {
      const { entries } = (await call(base, 'GET', '/v1/audit?limit=1000', KEYS.admin)).body as { entries: Array<Record<string, unknown>> };
      expect(entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ keyId: 'anonymous', route: 'PUT /v1/datasets/:name', outcome: 'denied', status: 401 }),
          expect.objectContaining({ keyId: 'writer', route: 'PUT /v1/datasets/:name', outcome: 'denied', status: 403 }),
          expect.objectContaining({ keyId: 'writer', targets: ['audit_rows'], outcome: 'accepted', counts: expect.objectContaining({ accepted: 1 }) }),
        ]),
      );
    });
  });

  it('scopes do not imply each other: write does not read, admin alone is checked as given', async () => {
    expect((await call(base, 'GET', '/v1/datasets', KEYS.writeOnly)).status).toBe(403);
    expect((await call(base, 'GET', '/v1/datasets', KEYS.reader)).status).toBe(200);
  });

  it('/health/live needs no key; /health and /metrics need read', async () => {
    expect((await call(base, 'GET', '/health/live')).status).toBe(200);
    expect((await call(base, 'GET', '/health')).status).toBe(401);
    expect((await call(base, 'GET', '/metrics')).status).toBe(401);
    expect((await call(base, 'GET', '/health', KEYS.reader)).status).toBe(200);
    expect((await call(base, 'GET', '/metrics', KEYS.reader)).status).toBe(200);
  });

  it("accepts the key in Feast's header (Authorization: Bearer, any case of the scheme) on Feast's routes", async () => {
    const body = { features: ['returns:x'], entities: ENTITIES };
    const res = await fetch(`${base}/get-online-features`, { method: 'POST', headers: { Authorization: `Bearer ${KEYS.reader}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect([401, 403]).not.toContain(res.status);
    const lower = await fetch(`${base}/get-online-features`, { method: 'POST', headers: { authorization: `bearer ${KEYS.reader}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect([401, 403]).not.toContain(lower.status);
  });

  it('a key limited by patterns gets 403 for datasets and views outside them, in the path and in the body', async () => {
    const k = KEYS.limited;
    const outside: Array<[string, string, unknown?, string?]> = [
      ['GET', '/v1/datasets/quotes', undefined, 'dataset quotes'],
      ['POST', '/v1/datasets/quotes/rows', [], 'dataset quotes'],
      ['GET', '/v1/feature-views/volatility', undefined, 'view volatility'],
      ['POST', '/v1/feature-views/volatility/versions/1/materialize', {}, 'view volatility'],
      ['POST', '/v1/online-features', { features: ['returns:ret_1d', 'volatility:vol_20d'], entities: ENTITIES }, 'view volatility'],
      ['POST', '/v1/training-sets', { features: ['volatility@v1:vol_20d'], entities: [{ symbol: 'A', ts: '2024-01-01T00:00:00Z' }] }, 'view volatility'],
      ['POST', '/get-online-features', { features: ['volatility:vol_20d'], entities: ENTITIES }, 'view volatility'],
      ['POST', '/push', { push_source_name: 'quotes', df: {}, to: 'offline' }, 'quotes'],
      ['POST', '/write-to-online-store', { feature_view_name: 'volatility', df: {} }, 'view volatility'],
      ['POST', '/v1/online-features', { featureService: 'market_signals', entities: ENTITIES }, 'feature service market_signals'],
      ['POST', '/get-online-features', { feature_service: 'market_signals', entities: ENTITIES }, 'feature service market_signals'],
      ['POST', '/v1/training-sets?features=returns:ret_1d,volatility:vol_20d', 'symbol,ts\nA,2024-01-01T00:00:00Z\n', 'view volatility'],
      ['POST', '/v1/training-sets?featureService=market_signals', 'symbol,ts\nA,2024-01-01T00:00:00Z\n', 'feature service market_signals'],
    ];
    for (const [method, path, body, named] of outside) {
      const answer = await call(base, method, path, k, body);
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(errorOf(path, answer).message).toContain(named);
    }
    const inside: Array<[string, string, unknown?]> = [
      ['GET', '/v1/datasets'],
      ['GET', '/v1/datasets/bars_1d'],
      ['POST', '/v1/datasets/bars_1m/rows', []],
      ['GET', '/v1/feature-views/returns'],
      ['POST', '/v1/online-features', { features: ['returns:ret_1d', 'ret2:x'], entities: ENTITIES }],
      ['POST', '/get-online-features', { features: ['returns:ret_1d'], entities: ENTITIES }],
      ['POST', '/write-to-online-store', { feature_view_name: 'returns', df: {} }],
    ];
    for (const [method, path, body] of inside) {
      const answer = await call(base, method, path, k, body);
      expect({ path, forbidden: [401, 403].includes(answer.status) }).toEqual({ path, forbidden: false });
    }
  });

  it('GET /v1/keys (admin) lists ids, scopes and patterns, never hashes', async () => {
    const answer = await call(base, 'GET', '/v1/keys', KEYS.admin);
    expect(answer.status).toBe(200);
    expect(answer.body).toContainEqual({ id: 'limited', scopes: ['read', 'write'], datasets: ['bars_*'], views: ['ret*'] });
    expect(answer.body).toHaveLength(ENTRIES.length);
    expect(JSON.stringify(answer.body)).not.toMatch(/sha256|keyHash/);
  });

  it('picks up a changed keys file without a restart: a new key works, a removed one stops', async () => {
    const fresh = 'key-fresh-1';
    ApiKeyStore.append(keysFile, { id: 'fresh', keyHash: keyHash(fresh), scopes: ['read'] });
    await expectEventually(async () => expect((await call(base, 'GET', '/v1/datasets', fresh)).status).toBe(200));
    // Rewritten in place (not renamed), without the reader.
    const kept = (JSON.parse(readFileSync(keysFile, 'utf8')) as ApiKeyEntry[]).filter((e) => e.id !== 'reader');
    writeFileSync(keysFile, JSON.stringify(kept));
    await expectEventually(async () => expect((await call(base, 'GET', '/v1/datasets', KEYS.reader)).status).toBe(401));
    // A broken file keeps the last good keys rather than locking everyone out or letting everyone in.
    writeFileSync(keysFile, '[{"id": ');
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(base, 'GET', '/v1/datasets', fresh)).status).toBe(200);
    expect((await call(base, 'GET', '/v1/datasets')).status).toBe(401);
    writeFileSync(keysFile, JSON.stringify(kept));
  });

  it('npm run keys -- create prints a key once, stores only its hash, and the key works at once', async () => {
    const env = { ...process.env, DATA_DIR: join(tmp.dir, 'data') };
    const run = spawnSync('node', ['-r', '@swc-node/register', 'apps/ingest/src/keys/keys.main.ts', 'create', '--id', 'ci-bot', '--scopes', 'read,write', '--datasets', 'bars_*', '--file', keysFile], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(run.status).toBe(0);
    const key = run.stdout.trim();
    expect(key).toMatch(/^fsk_[A-Za-z0-9_-]{40,}$/);
    expect(run.stderr).not.toContain(key);
    const text = readFileSync(keysFile, 'utf8');
    expect(text).not.toContain(key);
    const entry = (JSON.parse(text) as ApiKeyEntry[]).find((e) => e.id === 'ci-bot');
    expect(entry).toEqual({ id: 'ci-bot', keyHash: keyHash(key), scopes: ['read', 'write'], datasets: ['bars_*'] });
    await expectEventually(async () => expect((await call(base, 'GET', '/v1/datasets', key)).status).toBe(200));
    expect((await call(base, 'GET', '/v1/datasets/quotes', key)).status).toBe(403);
    // The creation is in the audit trail of the API's registry, made by the operators' tool.
    const trail = (await call(base, 'GET', '/v1/audit?keyId=local', KEYS.admin)).body as { entries: Array<Record<string, unknown>> };
    expect(trail.entries.filter((e) => e.route === 'keys create')).toEqual([expect.objectContaining({ keyId: 'local', targets: ['ci-bot'], counts: { read: 1, write: 1 }, outcome: 'accepted' })]);
    // The same id again is refused, and the file is unchanged.
    const again = spawnSync('node', ['-r', '@swc-node/register', 'apps/ingest/src/keys/keys.main.ts', 'create', '--id', 'ci-bot', '--scopes', 'read', '--file', keysFile], { cwd: ROOT, encoding: 'utf8', env });
    expect(again.status).toBe(2);
    expect(again.stdout).toBe('');
    expect(readFileSync(keysFile, 'utf8')).toBe(text);
  });
});

describe('Access control: METRICS_PUBLIC and a bad keys file', () => {
  it('METRICS_PUBLIC=true opens /health and /metrics only', async () => {
    const tmp = tempDataDir('fs-auth-');
    const keysFile = join(tmp.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(ENTRIES));
    const { app } = await createApi(testConfig(join(tmp.dir, 'data'), { AUTH_KEYS_FILE: keysFile, METRICS_PUBLIC: 'true' }));
    try {
      await app.listen(0, '127.0.0.1');
      const base = await app.getUrl();
      expect((await call(base, 'GET', '/health')).status).toBe(200);
      expect((await call(base, 'GET', '/metrics')).status).toBe(200);
      expect((await call(base, 'GET', '/v1/datasets')).status).toBe(401);
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });

  it('a keys file with a bad entry stops start-up with a message naming the entry', async () => {
    const tmp = tempDataDir('fs-auth-');
    const keysFile = join(tmp.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify([ENTRIES[0], { id: 'broken', keyHash: 'md5:abc', scopes: ['read'] }]));
    try {
      await expect(createApi(testConfig(join(tmp.dir, 'data'), { AUTH_KEYS_FILE: keysFile }))).rejects.toThrow(/entry \[1\] \(id broken\): keyHash/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe("Access control: Feast's Python SDK with a key", () => {
  let api: TestApi;
  let keysDir: ReturnType<typeof tempDataDir>;

  beforeAll(async () => {
    keysDir = tempDataDir('fs-auth-keys-');
    const keysFile = join(keysDir.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(ENTRIES));
    api = await startTestApi({ AUTH_KEYS_FILE: keysFile });
  }, 120_000);
  afterAll(async () => {
    await api.stop();
    keysDir.cleanup();
  });

  // Feast's SDK (remote online store) against our API, with or without a valid token.
  const feastWith = (args: string[]) => feastSdk(api.base, ['--features', 'returns:ret_1d', '--symbols', 'SYN0001,BTC-USD', ...args]);

  it('reads with its token (Authorization: Bearer), and is refused without a valid one', async () => {
    const ours = await call(api.base, 'POST', '/v1/online-features', KEYS.reader, { features: ['returns:ret_1d'], entities: { symbol: ['SYN0001', 'BTC-USD'] } });
    expect(ours.status).toBe(200);
    const ok = await feastWith(['--auth-token', KEYS.reader]);
    expect(ok.ok).toBe(true);
    expect(ok.sdk_full.to_dict.returns__ret_1d).toEqual(ours.body.rows.map((r: Record<string, unknown>) => r.returns__ret_1d));
    expect(ok.raw.status).toBe(200);
    const refused = await feastWith(['--auth-token', 'not-a-key']);
    expect(refused.ok).toBe(false);
    expect(refused.raw.status).toBe(401);
    expect(JSON.stringify(refused.sdk_full)).toMatch(/error/);
  }, 240_000);
});
