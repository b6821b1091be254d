import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApi } from '../apps/api/src/server';
import { exchangeCalendarSessions } from './support/exchange-calendars';
import { tempDataDir, testConfig } from './support/helpers';
import { expectEventually } from './support/wait';

const COLUMNS = ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume'].map((name) => ({ name, type: name === 'symbol' ? 'VARCHAR' : name === 'ts' ? 'TIMESTAMPTZ' : 'DOUBLE' }));
const DAY = 86_400_000;

// Over HTTP: XNYS daily bars of the last ~60 days up to now, a view with "ttl": "1 session" and
// one with "1d"; training rows around every close and online lookups now, against a brute
// force over exchange_calendars' closes (the online answer depends on today: the reference too).
describe('TTL in sessions over HTTP: training sets and online lookups (real server)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let app: NestFastifyApplication;
  let base: string;
  let closes: number[];
  const bars: Array<{ close: number; value: number }> = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const expiry = (ms: number, n: number) => closes.filter((c) => c > ms)[n - 1];

  beforeAll(async () => {
    const now = Date.now();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    closes = exchangeCalendarSessions(day(now - 70 * DAY), day(now + 30 * DAY)).calendars.XNYS.map(([, , close]) => Date.parse(close));
    tmp = tempDataDir();
    ({ app } = await createApi(testConfig(tmp.dir)));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    expect((await call('PUT', '/v1/datasets/eq_1d', { columns: COLUMNS, calendar: 'XNYS' })).status).toBe(201);
    let value = 50;
    for (const close of closes.filter((c) => c <= now - 60_000 && c >= now - 60 * DAY)) bars.push({ close, value: ++value });
    const rows = bars.map((b) => ({ symbol: 'AAA', ts: new Date(b.close).toISOString(), open: b.value, high: b.value, low: b.value, close: b.value, volume: 1 }));
    expect((await call('POST', '/v1/datasets/eq_1d/rows', rows)).body).toMatchObject({ accepted: bars.length });
    expect((await call('POST', '/v1/entities', { name: 'symbol', joinKeys: ['symbol'] })).status).toBe(201);
    for (const [name, ttl] of [['by_session', '1 session'], ['by_day', '1d']]) {
      const sqlText = 'SELECT symbol, ts, close AS c FROM source';
      expect((await call('POST', '/v1/feature-views', { name, entity: 'symbol', source: 'eq_1d', sql: sqlText, ttl, features: [{ name: 'c', type: 'DOUBLE' }] })).status).toBe(201);
      const job = await call('POST', `/v1/feature-views/${name}/versions/1/materialize`, {});
      await expectEventually(async () => expect((await call('GET', `/v1/jobs/${job.body.jobId}`)).body).toMatchObject({ status: 'succeeded' }));
    }
  });
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  it('records the calendar of the source in the view version', async () => {
    expect((await call('GET', '/v1/feature-views/by_session/versions/1')).body.definition).toMatchObject({ ttl: '1 session', calendar: 'XNYS' });
    const refused = await call('POST', '/v1/feature-views', { name: 'bad', entity: 'symbol', source: 'eq_1d', sql: 'SELECT symbol, ts, close AS c FROM source', ttl: '2 weeks', features: [{ name: 'c', type: 'DOUBLE' }] });
    expect(refused).toMatchObject({ status: 422, body: { error: { details: { field: 'ttl' } } } });
  });

  it('training sets: a bar stays until the next session closes, however long the weekend or holiday', async () => {
    const entities: Array<{ symbol: string; ts: string }> = [];
    for (const b of bars) for (const dt of [0, 1000, DAY, 2 * DAY, 3 * DAY, 4 * DAY]) entities.push({ symbol: 'AAA', ts: new Date(b.close + dt).toISOString() });
    const res = await call('POST', '/v1/training-sets', { features: ['by_session:c', 'by_day:c'], entities, pointInTime: 'event' });
    expect(res.status).toBe(200);
    const latest = (t: number) => bars.filter((b) => b.close <= t).at(-1);
    const want = entities.map((e) => {
      const t = Date.parse(e.ts);
      const bar = latest(t);
      return { session: bar && t <= expiry(bar.close, 1) ? bar.value : null, day: bar && t <= bar.close + DAY ? bar.value : null };
    });
    expect(res.body.rows.map((r: Record<string, number | null>) => ({ session: r.by_session__c, day: r.by_day__c }))).toEqual(want);
    // The rule differs from a wall-clock day somewhere (every weekend).
    expect(want.some((w) => w.session !== null && w.day === null)).toBe(true);
  });

  it('online: OUTSIDE_TTL only after the close of the session after the last bar', async () => {
    const before = Date.now();
    const res = await call('POST', '/v1/online-features', { features: ['by_session:c', 'by_day:c'], entities: { symbol: ['AAA'] } });
    const after = Date.now();
    const last = bars.at(-1)!;
    const status = (expiresAt: number) => (before > expiresAt ? 'OUTSIDE_TTL' : after <= expiresAt ? 'PRESENT' : undefined);
    const statuses = res.body.metadata[0].statuses;
    const bySession = status(expiry(last.close, 1));
    const byDay = status(last.close + DAY);
    if (bySession) expect(statuses.by_session__c).toBe(bySession);
    if (byDay) expect(statuses.by_day__c).toBe(byDay);
    if (bySession === 'PRESENT') expect(res.body.rows[0].by_session__c).toBe(last.value);
  });
});
