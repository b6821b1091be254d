import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, marketCatalog } from '@app/features';
import puppeteer from 'puppeteer-core';
import { createApi } from '../../apps/api/src/server';
import { timed } from '../support/measure';
import { options } from '../support/options';
import { commandLine, machine, writeResults } from '../support/report';
import { summarise } from '../support/stats';
import { ingestSyntheticBars } from '../support/store-setup';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPage } = require('../../scripts/build-ui.js') as { buildPage: () => Promise<string> };

// page.evaluate's functions run in the browser; this program is compiled without the DOM library.
declare const document: { body: { dataset: Record<string, string | undefined> }; querySelectorAll(s: string): { length: number } };

/**
 * The catalog UI's two goals (issue 17): the catalog with 500 views rendered in the browser in
 * under 1 s (Debian's chromium, from navigation to the rows on screen, API calls included), and a
 * 10-year daily plot of 50 features in under 300 ms of server time (the series read, in process
 * and over HTTP).
 *
 *   npm run bench -- ui [--views 500] [--days 2520] [--symbols 5] [--repeat 15]
 */
export async function runUiBench(args: string[]): Promise<void> {
  const opts = options(args);
  const viewCount = Number(opts.views ?? '500');
  const days = Number(opts.days ?? '2520');
  const symbols = Number(opts.symbols ?? '5');
  const repeat = Number(opts.repeat ?? '15');
  await buildPage().then(async (html) => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(__dirname, '..', '..', 'dist', 'ui'), { recursive: true });
    writeFileSync(join(__dirname, '..', '..', 'dist', 'ui', 'index.html'), html);
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-ui-'));
  const { app, store } = await createApi(loadConfig({ DATA_DIR: dataDir, BOOTSTRAP: 'false', LOG_LEVEL: 'warn' }));
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    console.error(`ingesting ${symbols} symbols x ${days} days …`);
    await ingestSyntheticBars(store, { symbols, days, seed: 17, endDate: new Date(Date.UTC(2026, 0, 1)) });
    for (const entity of marketCatalog.entities) await store.features.applyEntity(entity);
    // A view of 50 features (returns over 1 … 50 bars), materialised over the 10 years.
    const wide = Array.from({ length: 50 }, (_, i) => `close / lag(close, ${i + 1}) OVER w - 1 AS r_${i + 1}`);
    await store.features.apply({
      name: 'bench_wide',
      entity: 'symbol',
      source: 'bars_1d',
      timestampColumn: 'ts',
      sql: `SELECT symbol, ts, ${wide.join(', ')} FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
      features: wide.map((_, i) => ({ name: `r_${i + 1}`, type: 'DOUBLE' })),
      owner: 'bench',
    });
    console.error('materialising bench_wide …');
    await store.materializer.run({ view: 'bench_wide' });
    console.error(`applying ${viewCount} views …`);
    const applyStarted = Date.now();
    for (let i = 0; i < viewCount - 1; i++) {
      await store.features.apply({
        name: `bench_view_${String(i).padStart(4, '0')}`,
        entity: 'symbol',
        source: 'bars_1d',
        timestampColumn: 'ts',
        sql: `SELECT symbol, ts, close / lag(close, ${(i % 30) + 1}) OVER w - 1 AS ret, volume * ${i + 1} AS vol FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
        features: [{ name: 'ret', type: 'DOUBLE' }, { name: 'vol', type: 'DOUBLE' }],
        owner: `team-${i % 7}`,
        tags: { desk: `desk-${i % 5}` },
        description: `bench view ${i}`,
      });
    }
    const applySeconds = (Date.now() - applyStarted) / 1000;

    // Catalog render: a fresh page each time (no cache), navigation to every row in the DOM.
    const render: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const page = await browser.newPage();
      const { ms, value: rows } = await timed(async () => {
        await page.goto(`${base}/ui#/`, { waitUntil: 'domcontentloaded' });
        await page.waitForFunction(() => document.body.dataset.ready === '/', { timeout: 30_000 });
        return page.evaluate(() => document.querySelectorAll('[data-testid=view-row]').length);
      });
      if (rows !== viewCount) throw new Error(`the catalog shows ${rows} views, not ${viewCount}`);
      render.push(ms);
      await page.close();
    }

    // Series read: one symbol, every feature, 10 years.
    const query = { view: 'bench_wide', version: 1, key: 'SYN0001', features: [] as string[], start: null, end: null };
    const points = (await store.series.read(query)).ts.length;
    const inProcess: number[] = [];
    const overHttp: number[] = [];
    let bytes = 0;
    for (let i = 0; i < repeat; i++) {
      inProcess.push((await timed(() => store.series.read(query))).ms);
      const { ms, value } = await timed(async () => (await fetch(`${base}/v1/feature-views/bench_wide/versions/1/series?symbol=SYN0001`)).text());
      overHttp.push(ms);
      bytes = value.length;
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    const result = {
      command: commandLine('ui', args),
      machine: machine(),
      views: viewCount,
      applySeconds: round(applySeconds),
      catalogRenderMs: summarise(render, round),
      series: { points, features: 50, bytes, inProcessMs: summarise(inProcess, round), httpMs: summarise(overHttp, round) },
    };
    const r = result.catalogRenderMs;
    const s = result.series;
    const markdown = [
      '# Catalog UI benchmark',
      '',
      `\`${result.command}\` — ${String(result.machine.cpus)} cores (${String(result.machine.cpuModel)}), Node ${String(result.machine.node)}, Debian chromium headless; ${repeat} runs each.`,
      '',
      '| measure | goal | p50 | p90 | max |',
      '| --- | --- | --- | --- | --- |',
      `| catalog with ${viewCount} views: navigation to every row rendered (browser, API calls included) | < 1000 ms | ${r.p50} ms | ${r.p90} ms | ${r.max} ms |`,
      `| series read, 10 years daily (${s.points} points) x 50 features, server (in process) | < 300 ms | ${s.inProcessMs.p50} ms | ${s.inProcessMs.p90} ms | ${s.inProcessMs.max} ms |`,
      `| the same over HTTP (${Math.round(s.bytes / 1024)} KiB of JSON, loopback) | | ${s.httpMs.p50} ms | ${s.httpMs.p90} ms | ${s.httpMs.max} ms |`,
      '',
      `Setup: ${symbols} synthetic symbols x ${days} days; one view of 50 features materialised; ${viewCount - 1} more views applied in ${result.applySeconds} s (not part of the goals).`,
    ].join('\n');
    writeResults('ui', result, markdown);
  } finally {
    await browser.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
