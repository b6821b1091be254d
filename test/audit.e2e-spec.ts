import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { LmdbRegistry, keyHash, type AuditEntry, type FeatureStore } from '@app/features';
import { AuthEvents } from '../apps/api/src/auth/auth-events';
import { createApi } from '../apps/api/src/server';
import { ROOT, tempDataDir, testConfig } from './support/helpers';
import { cli } from './support/processes';
import { expectEventually } from './support/wait';

const VIEW = {
  name: 'audited_momentum',
  entity: 'symbol',
  source: 'bars_1d',
  timestampColumn: 'ts',
  ttl: '7d',
  sql: 'SELECT symbol, ts, close / lag(close) OVER w - 1 AS ret_1d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [{ name: 'ret_1d', type: 'DOUBLE' }],
};
/** The keys of the test's keys file (a call without a key id uses `tester`). */
const KEY_IDS = ['tester', 'ci-bot', 'admin-1'];
const ROWS = [
  { symbol: 'AUD', ts: '2024-05-01T20:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 },
  { symbol: 'AUD', ts: '2024-05-02T20:00:00Z', open: 1, high: 2, low: 0.5, close: 1.6, volume: 1 },
  { symbol: 'AUD', ts: 'later', open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 },
];

/** The audit trail over HTTP, on the real app: what is recorded, paging, filters, restarts. */
describe('audit trail (real Fastify server on a real port)', () => {
  const tmp = tempDataDir();
  let app: NestFastifyApplication;
  let store: FeatureStore;
  let base: string;

  /** Boots the app on the shared data dir, with a keys file (every key holds every scope). */
  const boot = async (bootstrap: boolean) => {
    const keysFile = join(tmp.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(KEY_IDS.map((id) => ({ id, keyHash: keyHash(`key-${id}`), scopes: ['read', 'write', 'admin'] }))));
    ({ app, store } = await createApi(
      testConfig(tmp.dir, { BOOTSTRAP: String(bootstrap), BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '30', SAMPLES_DIR: join(ROOT, 'data', 'samples'), AUTH_KEYS_FILE: keysFile }),
    ));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  };
  beforeAll(() => boot(true), 180_000);
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  const call = async (method: string, path: string, body?: unknown, key?: string) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    headers.authorization = `Bearer key-${key ?? 'tester'}`;
    const res = await fetch(`${base}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const trail = async (query = ''): Promise<{ entries: AuditEntry[]; next: number | null }> => {
    const res = await call('GET', `/v1/audit${query}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const all = async () => (await trail('?limit=1000')).entries;

  it('starts empty: the bootstrap and the reads add nothing', async () => {
    expect(await trail()).toEqual({ entries: [], next: null });
  });

  it('lists ingest, apply, materialise and run link in order, with key, targets and counts', async () => {
    expect(await call('POST', '/v1/datasets/bars_1d/rows', ROWS, 'ci-bot')).toMatchObject({ status: 200, body: { accepted: 2, rejected: 1 } });
    expect(await call('POST', '/v1/feature-views', VIEW, 'admin-1')).toMatchObject({ status: 201, body: { version: 1, created: true } });
    const started = await call('POST', `/v1/feature-views/${VIEW.name}/versions/1/materialize`, {}, 'ci-bot');
    expect([200, 202]).toContain(started.status);
    await expectEventually(async () => expect((await call('GET', `/v1/jobs/${started.body.jobId}`)).body).toMatchObject({ status: 'succeeded' }), 60_000);
    const set = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: [{ symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z' }] }, 'ci-bot');
    expect(set.status).toBe(200);
    expect(await call('POST', '/v1/runs', { runId: 'run-audit-1', trainingSetIds: [set.body.trainingSetId] }, 'ci-bot')).toMatchObject({ status: 200 });

    const entries = await all();
    // The training set is a read with a body: not in the trail.
    expect(entries.map((e) => [e.seq, e.route, e.keyId, e.outcome, e.status])).toEqual([
      [1, 'POST /v1/datasets/:name/rows', 'ci-bot', 'accepted', 200],
      [2, 'POST /v1/feature-views', 'admin-1', 'accepted', 201],
      [3, 'POST /v1/feature-views/:name/versions/:version/materialize', 'ci-bot', 'accepted', started.status],
      [4, 'POST /v1/runs', 'ci-bot', 'accepted', 200],
    ]);
    expect(entries[0]).toMatchObject({ targets: ['bars_1d'], counts: { accepted: 2, rejected: 1 } });
    expect(entries[1]).toMatchObject({ targets: [VIEW.name], counts: { created: 1, version: 1 } });
    expect(entries[2]).toMatchObject({ targets: [VIEW.name], counts: { version: 1, rows: expect.any(Number) } });
    expect(entries[3]).toMatchObject({ targets: ['run-audit-1'], counts: { trainingSets: 1 } });
    for (const e of entries) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
  }, 120_000);

  it('records a failed change as failed, with its status and the error', async () => {
    expect((await call('POST', '/v1/datasets/bars_1d/rows', { a: 1 }, 'ci-bot')).status).toBe(400);
    expect((await call('POST', '/v1/feature-views/nope/versions/1/materialize', {})).status).toBe(404);
    // Refused before the handler runs (Fastify's JSON parser): failed all the same.
    expect((await call('POST', '/v1/feature-views', '{"oops": ', 'admin-1')).status).toBe(400);
    expect((await call('PUT', '/v1/datasets/half_sent', '{"keys": [', 'admin-1')).status).toBe(400);
    const [bad, missing, malformed, malformedPut] = (await all()).slice(-4);
    expect(malformed).toMatchObject({ route: 'POST /v1/feature-views', keyId: 'admin-1', targets: [], outcome: 'failed', status: 400, detail: expect.stringContaining('malformed JSON') });
    expect(malformedPut).toMatchObject({ route: 'PUT /v1/datasets/:name', targets: ['half_sent'], outcome: 'failed', status: 400 });
    expect(bad).toMatchObject({ route: 'POST /v1/datasets/:name/rows', keyId: 'ci-bot', targets: ['bars_1d'], outcome: 'failed', status: 400, detail: expect.stringContaining('INVALID_ARGUMENT') });
    expect(missing).toMatchObject({ keyId: 'tester', targets: ['nope'], outcome: 'failed', status: 404 });
  });

  it('adds nothing for reads: online lookups (both routes) and GETs', async () => {
    const before = (await all()).length;
    expect((await call('POST', '/v1/online-features', { features: ['returns:ret_1d'], entities: { symbol: ['BTC-USD'] } })).status).toBe(200);
    expect((await call('POST', '/get-online-features', { features: ['returns:ret_1d'], entities: { symbol: ['BTC-USD'] } })).status).toBe(200);
    expect((await call('GET', '/v1/feature-views')).status).toBe(200);
    expect((await all()).length).toBe(before);
  });

  it('records a refusal handed over by the auth guard as denied', async () => {
    await app.get(AuthEvents).denied({ keyId: null, route: '/v1/datasets/:name/rows', method: 'POST', status: 401, reason: 'no key' });
    expect((await all()).at(-1)).toMatchObject({ keyId: 'anonymous', route: 'POST /v1/datasets/:name/rows', outcome: 'denied', status: 401, detail: 'no key', targets: [], counts: {} });
  });

  it('pages by the seq cursor and filters by key id and time', async () => {
    const everything = await all();
    expect(everything.length).toBeGreaterThanOrEqual(7);
    const pages: AuditEntry[][] = [];
    let cursor: number | null = 0;
    while (cursor !== null) {
      const page: { entries: AuditEntry[]; next: number | null } = await trail(`?limit=2&after=${cursor}`);
      pages.push(page.entries);
      expect(page.entries.length).toBeLessThanOrEqual(2);
      cursor = page.next;
    }
    expect(pages.flat()).toEqual(everything);
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);

    expect((await trail('?keyId=ci-bot&limit=1000')).entries).toEqual(everything.filter((e) => e.keyId === 'ci-bot'));
    const firstCiBot = await trail('?keyId=ci-bot&limit=1');
    expect(firstCiBot.entries.map((e) => e.seq)).toEqual([1]);
    expect(firstCiBot.next).toBe(1);
    const since = everything[3].at;
    expect((await trail(`?since=${encodeURIComponent(since)}&limit=1000`)).entries).toEqual(everything.filter((e) => e.at >= since));
    expect((await trail('?since=2199-01-01T00:00:00Z')).entries).toEqual([]);
  });

  it('refuses a bad query with a 400 naming the field', async () => {
    for (const [query, field] of [['?limit=0', 'limit'], ['?limit=1001', 'limit'], ['?after=-1', 'after'], ['?since=soon', 'since'], ['?limit=abc', 'limit']]) {
      const res = await call('GET', `/v1/audit${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.error.message).toContain(field);
    }
  });

  it('keeps the trail after a restart on the same data dir, and appends after it', async () => {
    const before = await all();
    await app.close();
    await boot(false);
    expect(await all()).toEqual(before);
    expect((await call('PUT', '/v1/datasets/audit_declared', { keys: ['symbol'], timestampColumn: 'ts', columns: [{ name: 'symbol', type: 'VARCHAR' }, { name: 'ts', type: 'TIMESTAMPTZ' }, { name: 'bid', type: 'DOUBLE' }] }, 'admin-1')).status).toBe(201);
    const after = await all();
    expect(after.slice(0, -1)).toEqual(before);
    expect(after.at(-1)).toMatchObject({ seq: before.at(-1)!.seq + 1, route: 'PUT /v1/datasets/:name', keyId: 'admin-1', targets: ['audit_declared'], counts: { created: 1 }, status: 201 });
    // The process's own writes go to the same trail: a local entry is next in the sequence.
    expect(await store.audit.recordLocal({ command: 'ingest file', targets: ['bars_1d'], counts: { accepted: 3 } })).toMatchObject({ seq: after.at(-1)!.seq + 1, keyId: 'local', status: 0 });
    expect((await trail('?keyId=local')).entries.map((e) => e.route)).toEqual(['ingest file']);
  }, 60_000);
});

/** The CLI writes the lake directly; its writes are `local` entries of the same trail. */
describe('audit trail of the ingest CLI (real processes)', () => {
  const tmp = tempDataDir();
  afterAll(() => tmp.cleanup());

  it('records synth, apply (only when something changed) and materialize as local entries', async () => {
    expect((await cli(tmp.dir, ['synth', '--symbols', '2', '--days', '40', '--seed', '5', '--end', '2025-06-30'])).code).toBe(0);
    expect((await cli(tmp.dir, ['apply'])).code).toBe(0);
    expect((await cli(tmp.dir, ['apply'])).code).toBe(0); // unchanged: no entry
    expect((await cli(tmp.dir, ['apply', '--dry-run'])).code).toBe(0);
    expect((await cli(tmp.dir, ['materialize', 'returns'])).code).toBe(0);
    const registry = LmdbRegistry.open(join(tmp.dir, 'registry'));
    try {
      const entries = await registry.audit.list({ limit: 100 });
      expect(entries.map((e) => [e.seq, e.keyId, e.route, e.outcome, e.status])).toEqual([
        [1, 'local', 'ingest synth', 'accepted', 0],
        [2, 'local', 'apply', 'accepted', 0],
        [3, 'local', 'materialize', 'accepted', 0],
      ]);
      expect(entries[0]).toMatchObject({ targets: ['bars_1d'], counts: { accepted: 80, rejected: 0, failures: 0 } });
      expect(entries[1].targets).toEqual(expect.arrayContaining(['symbol', 'returns', 'market_signals']));
      // Counts by plan change; every line of a first apply is a change, each named once.
      expect(entries[1].counts.unchanged).toBeUndefined();
      expect(Object.values(entries[1].counts).reduce((a, b) => a + b, 0)).toBe(entries[1].targets.length);
      expect(entries[2]).toMatchObject({ targets: ['returns'], counts: { version: 1, rows: expect.any(Number) } });
      expect(entries[2].counts.rows).toBeGreaterThan(0);
    } finally {
      await registry.close();
    }
  }, 180_000);
});
