import { join } from 'node:path';
import { fileLiteral, sql } from '@app/features';
import { ROOT, lakeRows, query } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';
import type { Bar } from './support/reference-features';

/**
 * Symbols that break string-built SQL, naive CSV and line-based formats, pushed through the real
 * HTTP API (JSON and CSV bodies), a feature view's materialisation, online lookups (ours and
 * Feast's) and a training set, and compared with an independent reading at every step.
 */
const HOSTILE = [`O'Brien`, 'say "hi"', 'back\\slash', 'semi;colon', "x'; DROP TABLE t; --", 'new\nline', 'ünïcødé ✓ 株'];
const SYMBOLS = [...HOSTILE, 'PLAIN'];
const DS = 'hostile_bars';
const VIEW = 'hostile_px';
const DAYS = 6;
const DAY = 86_400_000;
// Online TTL counts back from now, so the bars end at today's midnight (UTC).
const LAST = Math.floor(Date.now() / DAY) * DAY;
const FIRST = LAST - (DAYS - 1) * DAY;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const BARS: Bar[] = SYMBOLS.flatMap((symbol, i) =>
  Array.from({ length: DAYS }, (_, d) => {
    const close = 100 + 10 * i + d * (i + 1) * 0.37;
    return { symbol, ts: iso(FIRST + d * DAY), open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1000 + 17 * i + d };
  }),
);

/** Independent computation of the view's features: px = close, ret_1d = close / previous close - 1. */
function expectedFeatures(): Map<string, { px: number; ret_1d: number | null }> {
  const out = new Map<string, { px: number; ret_1d: number | null }>();
  for (const symbol of SYMBOLS) {
    const own = BARS.filter((b) => b.symbol === symbol);
    own.forEach((bar, d) => out.set(`${symbol}\u0000${bar.ts}`, { px: bar.close, ret_1d: d === 0 ? null : bar.close / own[d - 1].close - 1 }));
  }
  return out;
}

/** RFC 4180: every field quoted, a quote doubled; newlines stay inside the quotes. */
function toCsv(rows: readonly Bar[]): string {
  const cols = ['symbol', 'ts', 'open', 'high', 'low', 'close', 'volume'] as const;
  const cell = (v: string | number) => `"${String(v).replace(/"/g, '""')}"`;
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

describe('hostile symbols through the HTTP API, materialisation, online lookups and training sets', () => {
  let api: TestApi;
  let before: { datasets: { name: string; rows: number }[]; views: string[] };

  const names = async () => {
    const datasets = (await api.call('GET', '/v1/datasets')).body as { name: string; rows: number }[];
    const views = (await api.call('GET', '/v1/feature-views')).body as { name: string }[];
    return { datasets: datasets.map((d) => ({ name: d.name, rows: d.rows })).sort((a, b) => a.name.localeCompare(b.name)), views: views.map((v) => v.name).sort() };
  };

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '30', SAMPLES_DIR: join(ROOT, 'data', 'samples') });
    before = await names();
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('gets every symbol back unchanged, with the values an independent computation gives, and touches nothing else', async () => {
    // 1. Push: the first half of the days as JSON, the second as CSV, so each symbol crosses both
    // parsers and the view's lag() only links them when both kept the symbol byte for byte.
    const declared = await api.call('PUT', `/v1/datasets/${DS}`, {
      keys: ['symbol'],
      timestampColumn: 'ts',
      columns: [
        { name: 'symbol', type: 'VARCHAR' },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        ...['open', 'high', 'low', 'close', 'volume'].map((name) => ({ name, type: 'DOUBLE' })),
      ],
    });
    expect(declared.status).toBe(201);
    const cut = iso(FIRST + 3 * DAY);
    const asJson = BARS.filter((b) => b.ts < cut);
    const asCsv = BARS.filter((b) => b.ts >= cut);
    const json = await api.call('POST', `/v1/datasets/${DS}/rows`, asJson);
    expect(json).toMatchObject({ status: 200, body: { accepted: asJson.length, rejected: 0, errors: [], ignoredColumns: [], supersededInBatch: 0 } });
    const csvRes = await fetch(`${api.base}/v1/datasets/${DS}/rows`, { method: 'POST', body: toCsv(asCsv), headers: { 'content-type': 'text/csv' } });
    expect({ status: csvRes.status, body: await csvRes.json() }).toMatchObject({ status: 200, body: { accepted: asCsv.length, rejected: 0, errors: [], ignoredColumns: [], supersededInBatch: 0 } });

    // The lake, read by an independent DuckDB: exactly the pushed bars, symbols unchanged.
    const lake = await lakeRows(api.dataDir, DS);
    expect(lake.map((r) => ({ symbol: r.symbol, ts: r.ts, open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume })).sort(byKey)).toEqual([...BARS].sort(byKey));

    // 2. A view over the dataset, materialised as a job (waited on, not slept on).
    const created = await api.call('POST', '/v1/feature-views', {
      name: VIEW,
      entity: 'symbol',
      source: DS,
      timestampColumn: 'ts',
      ttl: '30d',
      sql: 'SELECT symbol, ts, close AS px, close / lag(close) OVER w - 1 AS ret_1d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
      features: [
        { name: 'px', type: 'DOUBLE' },
        { name: 'ret_1d', type: 'DOUBLE' },
      ],
    });
    expect(created).toMatchObject({ status: 201, body: { name: VIEW, version: 1, created: true } });
    const started = await api.call('POST', `/v1/feature-views/${VIEW}/versions/1/materialize`, {});
    expect([200, 202]).toContain(started.status);
    await expectEventually(async () => {
      const job = await api.call('GET', `/v1/jobs/${started.body.jobId}`);
      expect(job.body).toMatchObject({ status: 'succeeded', rows: BARS.length });
    }, 20_000, 50);

    // 3a. The version's offline rows: one per pushed bar, symbols unchanged, values as computed.
    const want = expectedFeatures();
    const offline = await query<{ symbol: string; event_ts: string; px: number; ret_1d: number | null }>(
      sql`SELECT symbol, event_ts, px, ret_1d FROM read_parquet(${fileLiteral(`${api.dataDir}/offline/${VIEW}/v1/*.parquet`)}) ORDER BY symbol, event_ts`,
    );
    expect(offline).toHaveLength(BARS.length);
    for (const row of offline) {
      const key = `${row.symbol}\u0000${iso(Date.parse(row.event_ts))}`;
      expect({ key, px: row.px, ret_1d: row.ret_1d }).toEqual({ key, ...want.get(key) });
    }

    // 3b. Online, our shape: the newest value per symbol, PRESENT, asked in the given order.
    const features = [`${VIEW}:px`, `${VIEW}:ret_1d`];
    const newest = SYMBOLS.map((symbol) => want.get(`${symbol}\u0000${iso(LAST)}`)!);
    const online = await api.call('POST', '/v1/online-features', { features, entities: { symbol: SYMBOLS } });
    expect(online.status).toBe(200);
    expect(online.body.rows).toEqual(SYMBOLS.map((symbol, j) => ({ symbol, [`${VIEW}__px`]: newest[j].px, [`${VIEW}__ret_1d`]: newest[j].ret_1d })));
    for (const [j, symbol] of SYMBOLS.entries()) {
      expect({ symbol, statuses: online.body.metadata[j].statuses }).toEqual({ symbol, statuses: { [`${VIEW}__px`]: 'PRESENT', [`${VIEW}__ret_1d`]: 'PRESENT' } });
      expect(Date.parse(online.body.metadata[j].eventTimestamps[`${VIEW}__px`])).toBe(LAST);
    }

    // 3c. Online, Feast's shape: the entity column echoes the symbols, every value PRESENT.
    const feast = await api.call('POST', '/get-online-features', { features, entities: { symbol: SYMBOLS } });
    expect(feast.status).toBe(200);
    expect(feast.body.metadata.feature_names).toEqual(['symbol', 'px', 'ret_1d']);
    expect(feast.body.results[0].values).toEqual(SYMBOLS);
    expect(feast.body.results[1].event_timestamps).toEqual(SYMBOLS.map(() => iso(LAST)));
    expect(feast.body.results[1]).toMatchObject({ values: newest.map((v) => v.px), statuses: SYMBOLS.map(() => 'PRESENT') });
    expect(feast.body.results[2]).toMatchObject({ values: newest.map((v) => v.ret_1d), statuses: SYMBOLS.map(() => 'PRESENT') });

    // 3d. A training set, point in time: entity j sits half a day after bar day j % DAYS (so
    // each reads that day's row), in an order that is not the lake's.
    const entities = [...SYMBOLS].reverse().map((symbol, j) => ({ symbol, ts: iso(FIRST + (j % DAYS) * DAY + DAY / 2), label: j }));
    const set = await api.call('POST', '/v1/training-sets', { features, entities });
    expect(set.status).toBe(200);
    expect(set.body.rows.map((r: { symbol: string }) => r.symbol)).toEqual(entities.map((e) => e.symbol));
    for (const [j, e] of entities.entries()) {
      const value = want.get(`${e.symbol}\u0000${iso(FIRST + (j % DAYS) * DAY)}`)!;
      expect(set.body.rows[j]).toMatchObject({ symbol: e.symbol, label: e.label, [`${VIEW}__px`]: value.px, [`${VIEW}__ret_1d`]: value.ret_1d });
    }
    // The same entity frame as a quoted CSV body gives the same rows.
    const frame = ['symbol,ts,label', ...entities.map((e) => `"${e.symbol.replace(/"/g, '""')}",${e.ts},${e.label}`)].join('\r\n') + '\r\n';
    const fromCsv = await fetch(`${api.base}/v1/training-sets?features=${encodeURIComponent(features.join(','))}`, { method: 'POST', body: frame, headers: { 'content-type': 'text/csv' } });
    const csvSet = (await fromCsv.json()) as { rows: Record<string, unknown>[] };
    expect(fromCsv.status).toBe(200);
    expect(csvSet.rows.map((r) => [r.symbol, r[`${VIEW}__px`], r[`${VIEW}__ret_1d`]])).toEqual(set.body.rows.map((r: Record<string, unknown>) => [r.symbol, r[`${VIEW}__px`], r[`${VIEW}__ret_1d`]]));

    // 4. Nothing else touched: the other datasets keep their rows, the registry lists exactly the
    // views it had plus this one, and the new dataset holds exactly what was pushed.
    const after = await names();
    expect(after.views).toEqual([...before.views, VIEW].sort());
    expect(after.datasets).toEqual([...before.datasets, { name: DS, rows: BARS.length }].sort((a, b) => a.name.localeCompare(b.name)));
    expect((await api.call('GET', `/v1/feature-views/${VIEW}`)).body.versions).toHaveLength(1);
  }, 30_000);
});

function byKey(a: { symbol: unknown; ts: unknown }, b: { symbol: unknown; ts: unknown }): number {
  const x = `${String(a.symbol)}\u0000${String(a.ts)}`;
  const y = `${String(b.symbol)}\u0000${String(b.ts)}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
