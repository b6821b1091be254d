import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { keyHash } from '@app/features';
import type { Browser, Page } from 'puppeteer-core';
import { buildUi, launchBrowser, openPage, screenshot } from './support/browser';
import { ROOT, tempDataDir } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';
import { waitFor } from './support/wait';

// The catalog UI in a real browser (Debian's chromium via puppeteer-core) against the real API
// with real data: every figure a page shows is checked against the API or a plain DuckDB query
// over the files, and each page is saved as a screenshot under test-results/.

const VIEW = {
  name: 'ui_momentum',
  entity: 'symbol',
  source: 'bars_1d',
  timestampColumn: 'ts',
  ttl: '7d',
  sql: 'SELECT symbol, ts,\n  close / lag(close) OVER w - 1 AS mom\nFROM source\nWINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [{ name: 'mom', type: 'DOUBLE', description: 'momentum' }],
  description: 'a view with two versions, for the SQL diff',
  owner: 'ui-owner',
  tags: { team: 'ui-team' },
};
const VIEW_V2_SQL = 'SELECT symbol, ts,\n  close / lag(close, 2) OVER w - 1 AS mom\nFROM source\nWHERE close > 0\nWINDOW w AS (PARTITION BY symbol ORDER BY ts)';
const MLFLOW_UI = 'http://mlflow.example:5000';
const SCREENSHOTS_FOR_README = ['ui-catalog', 'ui-view-version', 'ui-lineage', 'ui-dataset', 'ui-training-set', 'ui-monitors'];

/** One query's rows, from DuckDB in memory (a reference independent of the server's code). */
async function duck<T>(query: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(query)).getRowObjectsJson() as T[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

// The functions handed to page.evaluate run in the browser; this program is compiled without the DOM library.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const sessionStorage: { getItem(key: string): string | null };
type Hideable = { hidden?: boolean; value?: string };

const attr = (page: Page, selector: string, name: string) => page.$eval(selector, (e, n) => e.getAttribute(n), name);
const count = (page: Page, selector: string) => page.$$eval(selector, (es) => es.filter((e) => !(e as unknown as Hideable).hidden).length);
const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '');

describe('the catalog UI in a real browser (chromium, real API, real data)', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let trainingSetId: string;
  let jobId: string;
  const pageErrors: string[] = [];
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);

  beforeAll(async () => {
    buildUi();
    [api, browser] = await Promise.all([startTestApi({ BOOTSTRAP_SYMBOLS: '3', BOOTSTRAP_DAYS: '400', MLFLOW_UI_URL: MLFLOW_UI }), launchBrowser()]);
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // A view with two versions; one version materialised through the job route; a training set linked to two runs.
    expect((await call('POST', '/v1/feature-views', VIEW)).status).toBe(201);
    expect((await call('POST', '/v1/feature-views', { ...VIEW, sql: VIEW_V2_SQL })).body).toMatchObject({ version: 2 });
    const job = await call('POST', '/v1/feature-views/returns/versions/1/materialize', {});
    jobId = job.body.jobId;
    await waitFor(async () => (await call('GET', `/v1/jobs/${jobId}`)).body.status === 'succeeded', { timeoutMs: 30_000, what: 'the materialisation job' });
    const set = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d', 'volatility:vol_20d'], entities: { from: 'bars_1d', symbols: ['SYN0001', 'SYN0002'] }, runId: 'ui-run-1' });
    expect(set.status).toBe(200);
    trainingSetId = set.body.trainingSetId;
    expect((await call('POST', '/v1/runs', { runId: 'ui-run-2', trainingSetIds: [trainingSetId], system: 'mlflow', tags: {} })).status).toBe(200);
  });
  afterAll(async () => {
    expect(pageErrors).toEqual([]);
    await browser?.close();
    await api?.stop();
  });

  it('catalog: every view and dataset of the API, found by name, feature, owner and tag', async () => {
    const views = (await call('GET', '/v1/feature-views')).body as Array<{ name: string; version: number }>;
    const datasets = (await call('GET', '/v1/datasets')).body as Array<{ name: string; rows: number }>;
    await openPage(page, api.base, '/');
    expect(await count(page, '[data-testid=view-row]')).toBe(views.length);
    expect(await count(page, '[data-testid=dataset-row]')).toBe(datasets.length);
    const bars = datasets.find((d) => d.name === 'bars_1d')!;
    expect(await page.$eval('[data-testid=dataset-row][data-name=bars_1d]', (e) => e.children[2].textContent)).toBe(bars.rows.toLocaleString('en-US'));
    expect(await page.$eval('[data-testid=view-row][data-name=ui_momentum]', (e) => e.children[1].textContent)).toBe('v2');
    await screenshot(page, 'ui-catalog');
    for (const [query, expected] of [['vol_20d', ['volatility']], ['ui-owner', ['ui_momentum']], ['team:ui-team', ['ui_momentum']], ['forward', ['forward_returns']]] as const) {
      await page.$eval('[data-testid=search]', (e) => ((e as unknown as Hideable).value = ''));
      await page.type('[data-testid=search]', query);
      const shown = await page.$$eval('[data-testid=view-row]', (rows) => rows.filter((r) => !(r as unknown as Hideable).hidden).map((r) => r.getAttribute('data-name')));
      expect({ query, shown }).toEqual({ query, shown: expected });
    }
  });

  it('view version: definition, materialisation, and a plot with as many points as the offline files hold', async () => {
    const version = (await call('GET', '/v1/feature-views/returns/versions/1')).body;
    await openPage(page, api.base, '/views/returns/1?symbol=SYN0001&features=ret_1d,ret_5d');
    expect(await text(page, '[data-testid=version]')).toBe('v1');
    expect(await text(page, '[data-testid=materialized-rows]')).toBe(version.materialized.rows.toLocaleString('en-US'));
    expect(await count(page, '[data-testid=features] tbody tr')).toBe(version.definition.features.length);
    await page.waitForSelector('[data-testid=series-plot] canvas', { timeout: 10_000 });
    const [ref] = await duck<{ n: string; first: string; last: string }>(
      `SELECT count(DISTINCT event_ts) AS n FROM read_parquet('${join(api.dataDir, 'offline', 'returns', 'v1', '*.parquet')}') WHERE symbol = 'SYN0001'`,
    );
    expect(Number(await attr(page, '[data-testid=series-plot]', 'data-points'))).toBe(Number(ref.n));
    expect(await attr(page, '[data-testid=series-plot]', 'data-features')).toBe('ret_1d,ret_5d');
    // Online freshness: the materialised rows reached the online store.
    expect(await page.$$eval('[data-testid=freshness] tbody tr', (rows) => rows.map((r) => r.children[3].textContent))).toContain('PRESENT');
    // Statistics: one card per feature, with the API's count and nulls, and its histogram; the
    // API's count is checked against DuckDB over the offline files (one current row per event time).
    const stats = (await call('GET', '/v1/feature-views/returns/versions/1/stats')).body as { features: Array<{ name: string; count: number; nulls: number }> };
    await page.waitForSelector('[data-testid=stats-column] canvas', { timeout: 10_000 });
    const cards = await page.$$eval('[data-testid=stats-column]', (cs) => cs.map((c) => ({ name: c.getAttribute('data-name'), cells: [...c.querySelectorAll('tbody td')].slice(0, 2).map((td) => td.textContent), plots: c.querySelectorAll('canvas').length })));
    expect(cards).toEqual(stats.features.map((f) => ({ name: f.name, cells: [f.count.toLocaleString('en-US'), f.nulls.toLocaleString('en-US')], plots: 1 })));
    const [counted] = await duck<{ n: string; nulls: string }>(
      `SELECT count(ret_1d) AS n, count(*) - count(ret_1d) AS nulls FROM (SELECT * FROM read_parquet('${join(api.dataDir, 'offline', 'returns', 'v1', '*.parquet')}', filename = true)
        QUALIFY row_number() OVER (PARTITION BY symbol, event_ts ORDER BY created_ts DESC, filename DESC) = 1)`,
    );
    expect(stats.features.find((f) => f.name === 'ret_1d')).toMatchObject({ count: Number(counted.n), nulls: Number(counted.nulls) });
    await screenshot(page, 'ui-view-version', true);
    // A chosen range: the plot holds that key's event times from the first day to the end of the last.
    await openPage(page, api.base, '/views/returns/1?symbol=SYN0002&features=ret_20d&start=2026-01-01&end=2026-03-31');
    await page.waitForSelector('[data-testid=series-plot] canvas', { timeout: 10_000 });
    const [inRange] = await duck<{ n: string }>(
      `SELECT count(DISTINCT event_ts) AS n FROM read_parquet('${join(api.dataDir, 'offline', 'returns', 'v1', '*.parquet')}') WHERE symbol = 'SYN0002' AND event_ts >= TIMESTAMPTZ '2026-01-01 00:00:00+00' AND event_ts <= TIMESTAMPTZ '2026-03-31 23:59:59+00'`,
    );
    expect(Number(inRange.n)).toBeGreaterThan(0);
    expect(Number(await attr(page, '[data-testid=series-plot]', 'data-points'))).toBe(Number(inRange.n));
  });

  it('the series route answers the offline values of one key, one row per event time', async () => {
    const answer = await call('GET', '/v1/feature-views/returns/versions/1/series?symbol=SYN0002&features=ret_1d&start=2020-01-01');
    expect(answer.status).toBe(200);
    const ref = await duck<{ ts: string; v: number | null }>(
      `SELECT strftime(event_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.000Z') AS ts, ret_1d AS v FROM read_parquet('${join(api.dataDir, 'offline', 'returns', 'v1', '*.parquet')}') WHERE symbol = 'SYN0002' ORDER BY event_ts`,
    );
    expect(answer.body.ts).toEqual(ref.map((r) => r.ts));
    expect(answer.body.values.ret_1d.map((v: number | null) => (v === null ? null : Number(v.toPrecision(12))))).toEqual(ref.map((r) => (r.v === null ? null : Number(Number(r.v).toPrecision(12)))));
    const bad = await call('GET', '/v1/feature-views/returns/versions/1/series?features=ret_1d');
    expect(bad).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^symbol/) } } });
    const unknown = await call('GET', '/v1/feature-views/returns/versions/1/series?symbol=SYN0001&features=nope');
    expect(unknown).toMatchObject({ status: 422, body: { error: { message: expect.stringMatching(/^features/) } } });
    expect((await call('GET', '/v1/feature-views/returns/versions/1/series?symbol=SYN0001&start=2021-02-01&end=2021-01-01')).body.error.message).toMatch(/^start/);
  });

  it('the series read takes the current row per event time: a corrected bar, once revised, replaces the old value', async () => {
    const files = `${join(api.dataDir, 'offline', 'returns', 'v1')}/*.parquet`;
    const before = await call('GET', '/v1/feature-views/returns/versions/1/series?symbol=SYN0003&features=ret_1d');
    const i = 200;
    const at = before.body.ts[i] as string;
    const bars = await duck<{ ts: string; open: number; high: number; low: number; close: number; volume: number }>(
      `SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.000Z') AS ts, open, high, low, close, volume FROM read_parquet('${join(api.dataDir, 'lake', 'bars_1d')}/**/*.parquet', hive_partitioning = false)
       WHERE symbol = 'SYN0003' QUALIFY row_number() OVER (PARTITION BY ts ORDER BY ingested_at DESC) = 1 ORDER BY ts`,
    );
    const k = bars.findIndex((b) => b.ts === at);
    expect(k).toBeGreaterThan(0);
    const corrected = { ...bars[k], symbol: 'SYN0003', close: bars[k].close * 1.25, high: Math.max(bars[k].high, bars[k].close * 1.25) };
    expect((await call('POST', '/v1/datasets/bars_1d/rows', [corrected])).body).toMatchObject({ accepted: 1 });
    const job = await call('POST', '/v1/feature-views/returns/versions/1/materialize', {});
    await waitFor(async () => (await call('GET', `/v1/jobs/${job.body.jobId}`)).body.status === 'succeeded', { timeoutMs: 30_000, what: 'the revision' });
    // The offline files now hold two rows for that event time; the series shows one, the corrected one.
    const [rows] = await duck<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT event_ts) AS d FROM read_parquet('${files}') WHERE symbol = 'SYN0003'`);
    expect(Number(rows.n)).toBeGreaterThan(Number(rows.d));
    const after = await call('GET', '/v1/feature-views/returns/versions/1/series?symbol=SYN0003&features=ret_1d');
    expect(after.body.ts.length).toBe(Number(rows.d));
    const j = after.body.ts.indexOf(at);
    expect(after.body.values.ret_1d[j]).toBeCloseTo(corrected.close / bars[k - 1].close - 1, 12);
    expect(before.body.values.ret_1d[i]).toBeCloseTo(bars[k].close / bars[k - 1].close - 1, 12);
  });

  it('SQL diff against the previous version: as many added and removed lines as diff(1) finds', async () => {
    await openPage(page, api.base, '/views/ui_momentum/2');
    const dir = join(api.dataDir, 'diff');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'v1.sql'), `${VIEW.sql}\n`);
    writeFileSync(join(dir, 'v2.sql'), `${VIEW_V2_SQL}\n`);
    let out = '';
    try {
      execFileSync('diff', [join(dir, 'v1.sql'), join(dir, 'v2.sql')]);
    } catch (e) {
      out = String((e as { stdout: Buffer }).stdout);
    }
    const lines = out.split('\n');
    expect(Number(await attr(page, '[data-testid=sql-diff]', 'data-added'))).toBe(lines.filter((l) => l.startsWith('> ')).length);
    expect(Number(await attr(page, '[data-testid=sql-diff]', 'data-removed'))).toBe(lines.filter((l) => l.startsWith('< ')).length);
    expect(await page.$eval('[data-testid=materialization]', (e) => e.textContent)).toBe('not materialised yet');
  });

  it('lineage: as many nodes and edges as datasets, versions, training sets and runs make, and both ways from one node', async () => {
    const views = (await call('GET', '/v1/feature-views')).body as Array<{ name: string }>;
    const versions = (await Promise.all(views.map(async (v) => (await call('GET', `/v1/feature-views/${v.name}`)).body.versions.length))).reduce((a: number, b: number) => a + b, 0);
    const datasets = (await call('GET', '/v1/datasets')).body.length;
    const manifest = (await call('GET', `/v1/training-sets/${trainingSetId}`)).body;
    const used = new Set(manifest.features.map((f: { view: string; version: number }) => `${f.view}@${f.version}`)).size;
    // Each version has one source; the set has an edge from each version it used and one to each run.
    await openPage(page, api.base, '/lineage');
    expect(await page.$$eval('svg[data-testid=lineage-graph] g.node', (n) => n.length)).toBe(datasets + versions + 1 + 2);
    expect(await page.$$eval('svg[data-testid=lineage-graph] path.edge', (n) => n.length)).toBe(versions + used + 2);
    await screenshot(page, 'ui-lineage', true);
    await openPage(page, api.base, `/lineage?node=${encodeURIComponent(`training-set:${trainingSetId}`)}`);
    // Upstream: bars_1d, returns v1, volatility v1; downstream: its two runs, which link to MLflow.
    expect((await page.$$eval('g.node', (n) => n.map((g) => g.getAttribute('data-id')))).sort()).toEqual(
      ['dataset:bars_1d', `training-set:${trainingSetId}`, 'run:ui-run-1', 'run:ui-run-2', 'view-version:returns@1', 'view-version:volatility@1'].sort(),
    );
    expect(await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')))).toContain(`${MLFLOW_UI}/#/runs/ui-run-2`);
  });

  it('dataset: per-key rows add up to the dataset, keys as DuckDB counts them, batches and quarantined rows', async () => {
    await openPage(page, api.base, '/datasets/bars_1d');
    const quarantinedBefore = Number(await text(page, '[data-testid=quarantined]'));
    // A key with a hole: bars on days 1-3, 10 and 11 (steps 1, 1, 7, 1 days: one gap), and a bar
    // with high < low, which goes to quarantine.
    const gapped = [1, 2, 3, 10, 11].map((d) => ({ symbol: 'UIGAP', ts: `2024-03-${String(d).padStart(2, '0')}T00:00:00Z`, open: 10, high: 12, low: 9, close: 10 + d / 10, volume: 100 }));
    const bad = { symbol: 'UIGAP', ts: '2024-03-12T00:00:00Z', open: 10, high: 8, low: 9, close: 10, volume: 100 };
    expect((await call('POST', '/v1/datasets/bars_1d/rows', [...gapped, bad])).body).toMatchObject({ accepted: 5, rejected: 1 });
    const info = (await call('GET', '/v1/datasets/bars_1d')).body;
    await openPage(page, api.base, '/datasets/bars_1d');
    expect(await text(page, '[data-testid=dataset-rows]')).toBe(info.rows.toLocaleString('en-US'));
    const shown = await page.$$eval('[data-testid=dataset-keys] tbody tr', (rows) => rows.map((r) => ({ key: r.children[0].textContent, rows: Number(r.children[1].textContent!.replace(/,/g, '')), gaps: Number(r.children[4].textContent) })));
    expect(shown.reduce((a, b) => a + b.rows, 0)).toBe(info.rows);
    // Gaps computed here from the lake's distinct timestamps: steps over 3 x the key's median step.
    const stamps = await duck<{ symbol: string; t: number }>(`SELECT DISTINCT symbol, epoch(ts) AS t FROM read_parquet('${join(api.dataDir, 'lake', 'bars_1d')}/**/*.parquet', hive_partitioning = false) ORDER BY symbol, t`);
    const bySymbol = new Map<string, number[]>();
    for (const s of stamps) bySymbol.set(s.symbol, [...(bySymbol.get(s.symbol) ?? []), Number(s.t)]);
    const expected = [...bySymbol].map(([key, ts]) => {
      const steps = ts.slice(1).map((t, i) => t - ts[i]);
      const sorted = [...steps].sort((a, b) => a - b);
      const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      return { key, rows: ts.length, gaps: steps.filter((s) => s > 3 * median).length };
    });
    const byKey = (a: { key: string | null }, b: { key: string | null }) => String(a.key).localeCompare(String(b.key));
    expect([...shown].sort(byKey)).toEqual(expected.sort(byKey));
    expect(expected.find((e) => e.key === 'UIGAP')?.gaps).toBe(1);
    expect(await count(page, '[data-testid=dataset-batches] tbody tr')).toBe(info.batches);
    expect(Number(await text(page, '[data-testid=quarantined]'))).toBe(quarantinedBefore + 1);
    await screenshot(page, 'ui-dataset', true);
    await openPage(page, api.base, '/datasets');
    expect(await count(page, '[data-testid=datasets] tbody tr')).toBe((await call('GET', '/v1/datasets')).body.length);
  });

  it('training sets: the list, a manifest with knownAt, its statistics and a download in each format; jobs; drift monitors', async () => {
    const manifest = (await call('GET', `/v1/training-sets/${trainingSetId}`)).body;
    await openPage(page, api.base, '/training-sets');
    expect(await page.$$eval('[data-testid=training-sets] tbody tr', (rows) => rows.map((r) => r.children[0].textContent))).toEqual([trainingSetId]);
    await openPage(page, api.base, `/training-sets/${trainingSetId}`);
    expect(await text(page, '[data-testid=tset-rows]')).toBe(manifest.rowCount.toLocaleString('en-US'));
    expect(await text(page, '[data-testid=tset-known-at]')).toBe(manifest.knownAt);
    expect(await count(page, '[data-testid=tset-features] tbody tr')).toBe(manifest.features.length);
    const profile = (await call('GET', `/v1/training-sets/${trainingSetId}/stats`)).body as { columns: Array<{ name: string; count: number }> };
    expect(await page.$$eval('[data-testid=stats-column]', (cs) => cs.map((c) => [c.getAttribute('data-name'), c.querySelector('tbody td')?.textContent]))).toEqual(
      profile.columns.map((c) => [c.name, c.count.toLocaleString('en-US')]),
    );
    expect(await page.$$eval('button[data-format]', (b) => b.map((x) => x.getAttribute('data-format')))).toEqual(['parquet', 'csv', 'arrow', 'json']);
    await page.click('button[data-format=csv]');
    await page.waitForFunction(() => document.querySelector('[data-testid=download-status]')?.textContent?.startsWith('downloaded'), { timeout: 10_000 });
    await screenshot(page, 'ui-training-set', true);
    await openPage(page, api.base, '/jobs');
    expect(await page.$$eval('[data-testid=jobs] tbody tr', (rows) => rows.map((r) => r.children[0].textContent))).toContain(jobId);
    await screenshot(page, 'ui-jobs');
    // A monitor of returns v1 against the set, evaluated by a materialisation that writes rows.
    // Creating it evaluates it once (the version has rows); the materialisation evaluates it again.
    const monitor = (await call('POST', '/v1/monitors', { view: 'returns', version: 1, reference: trainingSetId, window: '3650d', psiAlert: 0.2 })).body as { id: string; last: { evaluatedAt: string } | null };
    expect(monitor.last).not.toBeNull();
    const rows = Array.from({ length: 3 }, (_, d) => ({ symbol: 'UIMON', ts: `2024-05-0${d + 1}T00:00:00Z`, open: 10, high: 20, low: 9, close: 10 + d, volume: 100 }));
    expect((await call('POST', '/v1/datasets/bars_1d/rows', rows)).body).toMatchObject({ accepted: 3 });
    const run = (await call('POST', '/v1/feature-views/returns/versions/1/materialize', {})).body as { jobId: string };
    await waitFor(async () => (await call('GET', `/v1/jobs/${run.jobId}`)).body.status === 'succeeded', { timeoutMs: 30_000, what: 'the materialisation job' });
    await waitFor(async () => (await call('GET', `/v1/monitors/${monitor.id}`)).body.last.evaluatedAt !== monitor.last!.evaluatedAt, { timeoutMs: 30_000, what: 'the monitor evaluation after the materialisation' });
    const evaluated = (await call('GET', `/v1/monitors/${monitor.id}`)).body as { last: { alert: boolean; features: Array<{ name: string; psi: number }> } };
    await openPage(page, api.base, '/monitors');
    expect(await page.$$eval('[data-testid=monitors] tbody tr', (rows) => rows.map((r) => [r.children[0].textContent, r.children[6].textContent]))).toEqual([[monitor.id, evaluated.last.alert ? 'ALERT' : 'ok']]);
    const shown = await page.$$eval('main table:not([data-testid]) tbody tr', (rows) => rows.map((r) => [r.children[0].textContent, r.children[1].textContent]));
    expect(shown).toEqual(evaluated.last.features.map((f) => [f.name, Number(f.psi).toPrecision(6).replace(/\.?0+$/, '')]));
    await screenshot(page, 'ui-monitors', true);
  });

  // The README's screenshots are these pages: refreshed with UPDATE_SCREENSHOTS=1 (so that a plain
  // test run leaves the checkout clean), and each one the README shows must exist.
  it('took the README\'s pages (docs/screenshots; UPDATE_SCREENSHOTS=1 refreshes them)', () => {
    mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of SCREENSHOTS_FOR_README) {
      expect(statSync(join(ROOT, 'test-results', `${name}.png`)).size).toBeGreaterThan(10_000);
      if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(join(ROOT, 'test-results', `${name}.png`), join(ROOT, 'docs', 'screenshots', `${name}.png`));
      expect({ name, inReadme: readme.includes(`docs/screenshots/${name}.png`), stored: existsSync(join(ROOT, 'docs', 'screenshots', `${name}.png`)) }).toEqual({ name, inReadme: true, stored: true });
    }
  });
});

describe('the catalog UI with access control on', () => {
  it('asks for a key once, keeps it for the tab and shows the catalog with it', async () => {
    const key = 'ui-reader-key-1';
    const keysDir = tempDataDir('fs-ui-keys-');
    const keysFile = join(keysDir.dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify([{ id: 'reader', keyHash: keyHash(key), scopes: ['read'] }]));
    const secured = await startTestApi({ BOOTSTRAP_SYMBOLS: '1', BOOTSTRAP_DAYS: '30', AUTH_KEYS_FILE: keysFile });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      expect((await fetch(`${secured.base}/ui`)).status).toBe(200); // the shell is public
      expect((await fetch(`${secured.base}/v1/feature-views`)).status).toBe(401); // the data is not
      await openPage(page, secured.base, '/');
      await page.waitForSelector('[data-testid=key-form]');
      await screenshot(page, 'ui-key-prompt');
      await page.type('[data-testid=key-input]', key);
      await Promise.all([page.waitForSelector('[data-testid=view-row]'), page.click('[data-testid=key-form] button')]);
      expect(await page.$$eval('[data-testid=view-row]', (r) => r.length)).toBeGreaterThanOrEqual(6);
      // Kept for the tab: another page needs no prompt.
      await openPage(page, secured.base, '/datasets');
      expect(await page.$('[data-testid=key-form]')).toBeNull();
      expect(await page.evaluate(() => sessionStorage.getItem('feature-store-api-key'))).toBe(key);
    } finally {
      await browser.close();
      await secured.stop();
      keysDir.cleanup();
    }
  });
});
