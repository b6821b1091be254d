import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeyStore, fileLiteral, keyHash, newApiKey, sql, type ApiKeyEntry } from '@app/features';
import { createApi } from '../apps/api/src/server';
import { KINDS, casesOf, type BatteryKeys, type HostileCase, type Kind } from './hostile/cases';
import { ROUTE_TABLE, type RouteSpec } from './hostile/route-table';
import { runCases, type CaseResult } from './hostile/runner';
import { writtenState, type WrittenState } from './hostile/written-state';
import { ROOT, query, tempDataDir, testConfig } from './support/helpers';

/** Cases the battery must reach at least (3,983 when written): a shrinking table or generator fails. */
const CASE_FLOOR = 3_800;
/** Requests in flight at once: enough to overlap the slow cases, few enough for a 2-core machine. */
const CONCURRENCY = 6;
/** Bodies larger than this are sent one at a time. */
const HEAVY_BYTES = 512 * 1024;
const SYMBOL = 'SYN0001';

/**
 * The generated hostile-input battery: every route the running server has × no key, a wrong key,
 * a wrong scope, malformed JSON, wrong types, huge arrays, deep nesting, long strings and names,
 * control characters, path traversal, SQL meta-characters, unknown fields, duplicate keys, and
 * malformed, wide or long tables on the routes that take them.
 * Every case must answer a 4xx in the error shape within 5 s and write nothing (but the audit
 * trail), and the service must answer normally afterwards.
 */
describe('hostile-input battery (real server, real keys file)', () => {
  const tmp = tempDataDir('fs-hostile-');
  const dataDir = join(tmp.dir, 'data');
  const routes: string[] = [];
  let app: NestFastifyApplication;
  let base: string;
  let keys: BatteryKeys;
  let before: WrittenState;
  let lookupBefore: unknown;
  let setBefore: { trainingSetId: string; rows: unknown[] };

  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${keys.admin}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const lookup = () => call('POST', '/v1/online-features', { features: ['returns:ret_1d', 'volatility:vol_20d'], entities: { symbol: [SYMBOL, 'BTC-USD'] } });
  const trainingSet = (ts: string) => call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: [{ symbol: SYMBOL, ts }, { symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z' }] });

  beforeAll(async () => {
    keys = writeKeys(join(tmp.dir, 'keys.json'));
    // No heavy-request cap: the cases run six at a time with one key, and a 429 before the body is
    // checked would skip what the case is about (the limits have their own test).
    ({ app } = await createApi(
      testConfig(dataDir, { RATE_LIMIT_HEAVY: '0', BOOTSTRAP: 'true', BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '40', SAMPLES_DIR: join(ROOT, 'data', 'samples'), AUTH_KEYS_FILE: join(tmp.dir, 'keys.json') }),
    ));
    // Routes are registered when the app initialises (on listen): the hook sees every one.
    app.getHttpAdapter().getInstance().addHook('onRoute', (route: { method: string | string[]; url: string }) => {
      for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
    });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    lookupBefore = (await lookup()).body;
    const latest = (await lakeCloses())[0].ts;
    setBefore = (await trainingSet(latest)).body;
    before = writtenState(dataDir);
  }, 180_000);
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  // Two latest closes of SYMBOL, read from the lake's Parquet files (the reference for ret_1d).
  const lakeCloses = () =>
    query<{ ts: string; close: number }>(
      sql`SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS ts, close FROM read_parquet(${fileLiteral(`${dataDir}/lake/bars_1d/date=*/*.parquet`)}, hive_partitioning = true) WHERE symbol = ${SYMBOL} ORDER BY ts DESC LIMIT 2`,
    );

  it('has a case generator for every route the server serves, and no stale one', () => {
    const served = routes.filter((r) => !r.startsWith('HEAD '));
    const tabled = ROUTE_TABLE.map((s) => s.route);
    expect(served.length).toBeGreaterThanOrEqual(29);
    // A new route fails here until the route table says what a request to it looks like.
    expect(served.filter((r) => !tabled.includes(r))).toEqual([]);
    expect(tabled.filter((r) => !served.includes(r))).toEqual([]);
    // HEAD routes are Fastify's mirrors of the GET routes (same handler, same guard).
    expect(routes.filter((r) => r.startsWith('HEAD ')).map((r) => r.replace('HEAD', 'GET')).filter((r) => !tabled.includes(r))).toEqual([]);
    for (const spec of ROUTE_TABLE) {
      const cases = casesOf(spec, keys);
      if (spec.scope === 'public') expect({ route: spec.route, cases: cases.length }).toEqual({ route: spec.route, cases: 0 });
      else expect({ route: spec.route, kinds: new Set(cases.map((c) => c.kind)) }).toEqual({ route: spec.route, kinds: new Set(expectedKinds(spec)) });
    }
  });

  let results: CaseResult[] = [];

  it('answers every hostile case with a 4xx in the error shape within 5 s', async () => {
    const cases = [...ROUTE_TABLE.flatMap((spec) => casesOf(spec, keys)), ...headCases()];
    const started = Date.now();
    // Bodies of megabytes one at a time, so that each one's time is its own, not a queue's.
    const heavy = (c: HostileCase) => (c.body?.length ?? 0) > HEAVY_BYTES;
    results = [...(await runCases(base, cases.filter((c) => !heavy(c)), CONCURRENCY)), ...(await runCases(base, cases.filter(heavy), 1))];
    const took = Date.now() - started;
    const byKind = Object.fromEntries(KINDS.map((k) => [k, results.filter((r) => r.case.kind === k).length]));
    const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 15).map((r) => `${r.ms} ms ${r.case.route} ${r.case.kind}: ${r.case.what}`);
    const statuses = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    console.log(`hostile-input battery: ${cases.length} cases in ${took} ms\nby kind: ${JSON.stringify(byKind)}\nby status: ${JSON.stringify(statuses)}\nslowest:\n  ${slowest.join('\n  ')}`);
    const failures = results.filter((r) => r.failure !== undefined).map((r) => `${r.case.method} ${r.case.url.slice(0, 120)} [${r.case.route} / ${r.case.kind}: ${r.case.what}] → ${r.failure}`);
    if (failures.length > 0) console.log(`failures:\n${failures.join('\n')}`);
    expect(failures.slice(0, 40)).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(CASE_FLOOR);
  }, 300_000);

  it('wrote nothing: the data folder, the registry (but the audit trail) and the online store are unchanged', () => {
    const after = writtenState(dataDir);
    expect(after.files).toEqual(before.files);
    expect(after.registry).toEqual(before.registry);
    expect(after.online).toEqual(before.online);
    // No body's __proto__ or constructor.prototype reached a prototype of this process.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps the audit trail of the refusals bounded: no entry over 2 KB, however long the names sent', async () => {
    let after = 0;
    let entries = 0;
    for (;;) {
      const page = await call('GET', `/v1/audit?limit=1000&after=${after}`);
      expect(page.status).toBe(200);
      for (const entry of page.body.entries as unknown[]) expect(JSON.stringify(entry).length).toBeLessThan(2_048);
      entries += page.body.entries.length;
      if (page.body.next === null) break;
      after = page.body.next;
    }
    // Every refused change and every 401/403 is there (reads with a body are not changes).
    expect(entries).toBeGreaterThan(results.filter((r) => r.status === 401 || r.status === 403).length);
  });

  it('is healthy afterwards: /health, a lookup and a training set answer as before', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    const after = await lookup();
    expect(after.status).toBe(200);
    expect(after.body).toEqual(lookupBefore);
    const [last, previous] = await lakeCloses();
    expect(after.body.rows[0].returns__ret_1d).toBeCloseTo(last.close / previous.close - 1, 12);
    const set = await trainingSet(last.ts);
    expect(set.status).toBe(200);
    expect(set.body.rows).toEqual(setBefore.rows);
    expect(set.body.rows[0].returns__ret_1d).toBeCloseTo(last.close / previous.close - 1, 12);
  });
});

/**
 * Known gap: a request line or header block over Node's 16 KiB limit is refused by Node and
 * answered by Fastify's default client-error handler (431, `{"error","message","statusCode"}`),
 * not in the error shape. The fix is a `clientErrorHandler` in the FastifyAdapter options
 * (apps/api/src/server.ts); when it lands, this test fails and `.failing` must go.
 */
describe('requests over the header size limit (real server)', () => {
  const tmp = tempDataDir('fs-hostile-431-');
  let app: NestFastifyApplication;
  let base: string;
  beforeAll(async () => {
    ({ app } = await createApi(testConfig(join(tmp.dir, 'data'), { AUTH_KEYS_FILE: writeKeysFile(join(tmp.dir, 'keys.json')) })));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  it('answers a 20 KB name in the path and a 20 KB key with a 4xx in the error shape', async () => {
    for (const [path, key] of [[`/v1/datasets/${'n'.repeat(20_000)}`, 'k'], ['/v1/datasets', 'k'.repeat(20_000)]]) {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { error?: { code?: unknown } };
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof body.error?.code).toBe('string');
    }
  });
});

/** The kinds a route's cases must cover, by what it takes. */
function expectedKinds(spec: RouteSpec): Kind[] {
  const auth: Kind[] = ['no-key', 'wrong-key', 'wrong-scope'];
  const strings: Kind[] = ['long-strings', 'control-chars', 'path-traversal', 'sql-meta', 'wrong-types'];
  if (spec.body !== undefined) return KINDS.filter((k) => k !== 'malformed-table' || spec.table !== undefined);
  if (spec.query !== undefined) return [...auth, ...strings, 'unknown-fields', 'duplicate-keys'];
  return spec.params !== undefined ? [...auth, ...strings] : auth;
}

/** Each HEAD mirror of a GET route, without a key: a 401 (HEAD answers have no body to check). */
function headCases(): HostileCase[] {
  return ROUTE_TABLE.filter((s) => s.route.startsWith('GET ') && s.scope !== 'public').map((s) => {
    const path = s.route.slice(4).replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(s.params![name]));
    return { route: s.route.replace('GET', 'HEAD'), kind: 'no-key', what: 'HEAD without a key', method: 'HEAD', url: path, headers: {}, statuses: [401], feast: false };
  });
}

/** A keys file of the battery's keys (their values), for a server that only needs one. */
function writeKeysFile(file: string): string {
  writeKeys(file);
  return file;
}

/** The keys file, written as `npm run keys -- create` writes it (random keys, only their hashes on disk). */
function writeKeys(file: string): BatteryKeys {
  const made: Record<string, string> = {};
  const entries: Array<Omit<ApiKeyEntry, 'keyHash'>> = [
    { id: 'admin', scopes: ['read', 'write', 'admin'] },
    { id: 'reader', scopes: ['read'] },
    { id: 'writer', scopes: ['read', 'write'] },
    { id: 'write-only', scopes: ['write'] },
    { id: 'limited', scopes: ['read', 'write', 'admin'], datasets: ['hb_allowed_*'], views: ['hb_allowed_*'] },
  ];
  for (const entry of entries) {
    made[entry.id] = newApiKey();
    ApiKeyStore.append(file, { ...entry, keyHash: keyHash(made[entry.id]) });
  }
  return { admin: made.admin, lacking: { read: made['write-only'], write: made.reader, admin: made.writer }, limited: made.limited, unknown: newApiKey() };
}
