import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApi } from '../apps/api/src/server';
import { exchangeCalendarSessions, type ReferenceSession } from './support/exchange-calendars';
import { lakeRows, tempDataDir, testConfig, writeText } from './support/helpers';
import { cli } from './support/processes';

const COLUMNS = ['symbol VARCHAR', 'ts TIMESTAMPTZ', 'open DOUBLE', 'high DOUBLE', 'low DOUBLE', 'close DOUBLE', 'volume DOUBLE'].map((c) => {
  const [name, type] = c.split(' ');
  return { name, type };
});
const iso = (value: unknown): string => new Date(typeof value === 'number' ? value : String(value)).toISOString().replace('.000Z', 'Z');

// A dataset declared over HTTP with a calendar, filled by the CLI with the existing daily timing
// options: its bars land at exchange_calendars' closes of June 2018 to January 2019 (July 3 and
// Christmas Eve early closes, Thanksgiving, the Bush day of mourning, New Year).
describe('datasets with a trading calendar: API declaration and CLI ingest (real server, CLI child process)', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let app: NestFastifyApplication;
  let base: string;
  let reference: readonly ReferenceSession[];
  let csv: string;
  const days: string[] = [];

  beforeAll(async () => {
    tmp = tempDataDir();
    ({ app } = await createApi(testConfig(tmp.dir)));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    reference = exchangeCalendarSessions('2018-06-01', '2019-01-31').calendars.XNYS;
    const lines = ['Date,High,Low,Open,Close,Volume'];
    for (let t = Date.UTC(2018, 5, 1); t <= Date.UTC(2019, 0, 31); t += 86_400_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      if (day === '2018-08-15' || day === '2018-10-02') continue; // two missing sessions: gaps
      days.push(day);
      lines.push(`${day},2,1,1.5,1.5,10`);
    }
    csv = writeText(tmp.dir, 'spx.csv', `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await app.close();
    tmp.cleanup();
  });

  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('PUT /v1/datasets/{name} takes "calendar": stored, shown, checked and part of the declaration', async () => {
    const created = await send('PUT', '/v1/datasets/spx_1d', { columns: COLUMNS, calendar: 'XNYS' });
    expect(created).toMatchObject({ status: 201, body: { name: 'spx_1d', calendar: 'XNYS', created: true } });
    expect(await send('PUT', '/v1/datasets/spx_1d', { columns: COLUMNS, calendar: 'XNYS' })).toMatchObject({ status: 200, body: { created: false } });
    expect(await send('GET', '/v1/datasets/spx_1d')).toMatchObject({ status: 200, body: { calendar: 'XNYS' } });
    expect(await send('PUT', '/v1/datasets/spx_1d', { columns: COLUMNS, calendar: 'XNAS' })).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    const bad = await send('PUT', '/v1/datasets/other', { columns: COLUMNS, calendar: 'NYSE' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT', details: { field: 'calendar' } } } });
    expect(bad.body.error.message).toMatch(/^calendar must be one of XNYS, XNAS, 24\/7/);
    expect(await send('PUT', '/v1/datasets/plain', { columns: COLUMNS })).toMatchObject({ status: 201, body: { calendar: null } });
  });

  it('the CLI ingests daily bars into it at the calendar closes, quarantines non-sessions and counts session gaps', async () => {
    const run = await cli(tmp.dir, ['file', csv, '--dataset', 'spx_1d', '--symbol', 'SPX', '--time-is', 'session', '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { accepted: number; rejected: number; batches: Array<{ gaps: unknown[]; errors: Array<{ row: number; message: string }> }> };
    const listed = new Set(days);
    const expected = reference.filter(([date]) => listed.has(date));
    expect((await lakeRows(tmp.dir, 'spx_1d')).map((r) => iso(r.ts))).toEqual(expected.map(([, , close]) => close));
    expect(summary).toMatchObject({ accepted: expected.length, rejected: days.length - expected.length });
    expect(summary.batches[0].gaps).toEqual([{ key: 'SPX', missing: reference.filter(([date]) => !listed.has(date)).length }]);
    expect(summary.batches[0].errors).toContainEqual({ row: days.indexOf('2018-12-05') + 1, message: 'ts: 2018-12-05 has no XNYS session (National day of mourning (President G. H. W. Bush))' });
    expect(summary.batches[0].errors).toContainEqual({ row: days.indexOf('2018-11-22') + 1, message: 'ts: 2018-11-22 has no XNYS session (Thanksgiving Day)' });
  });

  it('the CLI refuses a calendar that contradicts the dataset, or a close time next to --calendar; a new dataset takes its --calendar', async () => {
    const other = await cli(tmp.dir, ['file', csv, '--dataset', 'spx_1d', '--symbol', 'SPX', '--calendar', 'XNAS', '--force']);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/FAILED .*calendar: dataset spx_1d follows calendar XNYS; the ingest names calendar XNAS/);
    const both = await cli(tmp.dir, ['file', csv, '--dataset', 'spx_1d', '--symbol', 'SPX', '--calendar', 'XNYS', '--close-time', '15:00']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/calendar: the calendar knows each session's close and zone/);
    const crypto = await cli(tmp.dir, ['file', csv, '--dataset', 'btc_1d', '--symbol', 'BTC', '--calendar', '24/7']);
    expect(crypto.code).toBe(0);
    expect(await send('GET', '/v1/datasets/btc_1d')).toMatchObject({ status: 200, body: { calendar: '24/7', rows: days.length } });
    const rows = await lakeRows(tmp.dir, 'btc_1d');
    expect(rows.map((r) => iso(r.ts))).toEqual(days.map((d) => iso(Date.parse(`${d}T00:00:00Z`) + 86_400_000)));
  });
});
