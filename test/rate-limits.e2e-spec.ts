import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHash, type ApiKeyEntry } from '@app/features';
import { tempDataDir } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

// Real server, real keys file: per-key request rates and heavy-request slots answer 429 with
// Retry-After in the error shape (Feast's on Feast routes), and keys do not share their budgets.
const KEYS = { slow: 'key-slow-1', fast: 'key-fast-1', batch: 'key-batch-1' } as const;
const ENTRIES: ApiKeyEntry[] = [
  { id: 'slow', keyHash: keyHash(KEYS.slow), scopes: ['read'], limits: { rps: 0.5, burst: 3 } },
  { id: 'fast', keyHash: keyHash(KEYS.fast), scopes: ['read'] },
  { id: 'batch', keyHash: keyHash(KEYS.batch), scopes: ['read', 'write'], limits: { heavy: 1 } },
];
const TRAINING = { features: ['returns:ret_1d'], entities: [{ symbol: 'SYN0001', ts: '2024-06-03T00:00:00Z' }] };

async function call(api: TestApi, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('rate limits (RATE_LIMIT_*, keys file limits)', () => {
  let api: TestApi;
  const keysDir = tempDataDir();

  beforeAll(async () => {
    const keysFile = join(keysDir.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(ENTRIES));
    // Defaults: 1000 requests/s for keys without their own figures, 2 heavy requests.
    api = await startTestApi({ AUTH_KEYS_FILE: keysFile, BOOTSTRAP_SYMBOLS: '3', BOOTSTRAP_DAYS: '400', RATE_LIMIT_RPS: '1000', RATE_LIMIT_HEAVY: '2' });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    keysDir.cleanup();
  });

  it("refuses a key past its burst with 429, Retry-After and the error shape; other keys keep their own budget", async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await call(api, 'GET', '/v1/feature-views', KEYS.slow));
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
    const refused = answers[3];
    expect(refused.status).toBe(429);
    // 0.5 requests/s: the next one is earned within two seconds.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(refused.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('slow'), details: { limit: 'requests', keyId: 'slow', retryAfterSeconds: expect.any(Number) } } });
    // The refusal was cheap and did not reset the bucket: still refused right after.
    expect(answers[4].status).toBe(429);
    for (let i = 0; i < 20; i++) expect((await call(api, 'GET', '/v1/feature-views', KEYS.fast)).status).toBe(200);
  });

  it('answers Feast routes in Feast’s shape, and lets the key in again once it has earned a request', async () => {
    const feast = await call(api, 'POST', '/get-online-features', KEYS.slow, { features: ['returns:ret_1d'], entities: { symbol: ['SYN0001'] } });
    expect(feast.status).toBe(429);
    expect(feast.headers.get('retry-after')).not.toBeNull();
    expect(feast.body).not.toHaveProperty('error.code');
    expect(JSON.stringify(feast.body)).toContain('slow');
    await expectEventually(async () => expect((await call(api, 'GET', '/v1/feature-views', KEYS.slow)).status).toBe(200), 5000, 500);
  });

  it('keeps /health/live open whatever a key has spent', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${api.base}/health/live`)).status).toBe(200);
  });

  it('caps concurrent training sets per key, and frees the slot when a set is done', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => call(api, 'POST', '/v1/training-sets', KEYS.batch, TRAINING)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'heavy', keyId: 'batch' } });
    expect(refused.headers.get('retry-after')).toBe('1');
    // Another key's heavy requests are not held up by this one's.
    expect((await call(api, 'POST', '/v1/training-sets', KEYS.fast, TRAINING)).status).toBe(200);
    // Every slot was given back (also by the refused and the failed ones).
    for (let i = 0; i < 3; i++) expect((await call(api, 'POST', '/v1/training-sets', KEYS.batch, TRAINING)).status).toBe(200);
    expect((await call(api, 'POST', '/v1/training-sets', KEYS.batch, { features: ['nope:x'], entities: TRAINING.entities })).status).toBe(422);
    expect((await call(api, 'POST', '/v1/training-sets', KEYS.batch, TRAINING)).status).toBe(200);
  });

  it('holds a materialisation job’s slot until the job has ended', async () => {
    const started = await call(api, 'POST', '/v1/feature-views/returns/versions/1/materialize', KEYS.batch, { start: '1990-01-01T00:00:00Z', end: '2030-01-01T00:00:00Z' });
    expect([200, 202]).toContain(started.status);
    if (started.status === 202) {
      const during = await call(api, 'POST', '/v1/training-sets', KEYS.batch, TRAINING);
      const job = await call(api, 'GET', `/v1/jobs/${started.body.jobId}`, KEYS.batch);
      // Refused while the job ran; a 200 is only right if the job had already ended.
      if (during.status === 200) expect(job.body.status).not.toBe('running');
      else expect(during.body.error.details.limit).toBe('heavy');
      await expectEventually(async () => expect((await call(api, 'GET', `/v1/jobs/${started.body.jobId}`, KEYS.batch)).body.status).toBe('succeeded'), 60_000, 200);
    }
    await expectEventually(async () => expect((await call(api, 'POST', '/v1/training-sets', KEYS.batch, TRAINING)).status).toBe(200), 5000, 100);
  });
});
