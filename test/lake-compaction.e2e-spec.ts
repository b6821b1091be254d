import { spawnSync } from 'node:child_process';
import { DuckDbClient, LakeCompactionService, fileListLiteral, sql, symbolEntity, systemClock } from '@app/features';
import { ROOT, openStore, query } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';

/**
 * Compaction as a user meets it: the API's background compaction merges a stream-like dataset's
 * small files on its own, GET /v1/datasets/{name} and /metrics show the files per partition
 * before and after, two compactions at once never compact one partition twice, and
 * `npm run compact` prints what it did. Answers are compared with the rows read before.
 */
const HOUR = 3_600_000;
const FIRST = Date.parse('2024-06-03T00:00:00Z');

function rows(batch: number): Array<Record<string, unknown>> {
  // Batch b carries hour b of each of three symbols: 12 batches over 2 days (6-hour steps).
  return ['AAA', 'BBB', 'CCC'].map((symbol, i) => {
    const close = 100 + i * 10 + batch;
    return { symbol, ts: new Date(FIRST + batch * 4 * HOUR).toISOString(), open: close, high: close + 1, low: close - 1, close, volume: 1 };
  });
}

async function everyRow(api: TestApi): Promise<unknown[]> {
  const files = await api.store.lake.files('ticks');
  return query(sql`SELECT symbol, ts, close, ingested_at FROM read_parquet(${fileListLiteral(files)}) ORDER BY ALL`);
}

async function metric(api: TestApi, line: RegExp): Promise<number | null> {
  const text = await (await fetch(`${api.base}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found ? Number(found.split(' ').at(-1)) : null;
}

describe('lake compaction through the API and the CLI', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP: 'false', LAKE_COMPACTION_INTERVAL_S: '1', LAKE_COMPACTION_MIN_FILES: '2', LAKE_COMPACTION_GRACE_S: '0' });
  });
  afterAll(() => api.stop());

  it('declares the partition granularity and refuses a bad one naming the field', async () => {
    const columns = ['symbol:VARCHAR', 'ts:TIMESTAMPTZ', 'open:DOUBLE', 'high:DOUBLE', 'low:DOUBLE', 'close:DOUBLE', 'volume:DOUBLE'].map((c) => ({ name: c.split(':')[0], type: c.split(':')[1] }));
    const bad = await api.call('PUT', '/v1/datasets/ticks', { partition: 'week', columns });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('partition');
    const badRetention = await api.call('PUT', '/v1/datasets/ticks', { retention: 'forever', columns });
    expect(badRetention.body.error.details.field).toBe('retention');
    const ok = await api.call('PUT', '/v1/datasets/ticks', { partition: 'day', columns });
    expect(ok.status).toBe(201);
    const daily = await api.call('PUT', '/v1/datasets/daily_bars', { calendar: 'XNYS', columns });
    expect(daily.body.schema?.partition ?? (await api.call('GET', '/v1/datasets/daily_bars')).body.partition).toBe('month');
  });

  it('shows small files per partition, compacts them in the background, and answers the same', async () => {
    for (let b = 0; b < 12; b++) expect((await api.call('POST', '/v1/datasets/ticks/rows', rows(b))).status).toBe(200);
    const before = await everyRow(api);
    const seen = (await api.call('GET', '/v1/datasets/ticks')).body;
    // Compaction may already have started; what it has not merged yet is small files.
    expect(seen.partition).toBe('day');
    expect(seen.lake.partitions.map((p: { partition: string }) => p.partition)).toEqual(['2024-06-03', '2024-06-04']);
    let layout = seen.lake;
    const deadline = Date.now() + 30_000;
    while (layout.files > 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      layout = (await api.call('GET', '/v1/datasets/ticks')).body.lake;
    }
    expect(layout.partitions.map((p: { files: number }) => p.files)).toEqual([1, 1]);
    expect(layout.files).toBe(2);
    expect(await everyRow(api)).toEqual(before);
    expect(await metric(api, /^feature_store_lake_files\{dataset="ticks"\}/)).toBe(2);
    expect(await metric(api, /^feature_store_lake_partitions\{dataset="ticks"\}/)).toBe(2);
    expect(await metric(api, /^feature_store_lake_partition_small_files\{dataset="ticks"/)).toBeNull();
  });

  it('lets one of two compactions at once take each partition', async () => {
    for (let b = 12; b < 24; b++) await api.store.datasets.ingestRows('ticks', rows(b));
    const before = await everyRow(api);
    const [dbA, dbB] = await Promise.all([DuckDbClient.open({ threads: 1 }), DuckDbClient.open({ threads: 1 })]);
    const make = (db: DuckDbClient) => new LakeCompactionService(db, api.store.lake, api.store.registry.datasets, api.store.registry.materializations, api.store.clock, api.store.config.lake);
    try {
      const [a, b] = await Promise.all([make(dbA).compactDataset('ticks'), make(dbB).compactDataset('ticks')]);
      const done = [...a.partitions, ...b.partitions].map((p) => p.partition);
      // Each partition compacted by exactly one of them (the other found it busy or done).
      expect(new Set(done).size).toBe(done.length);
      // The API's background compaction is a third party: a partition it held (busy for both)
      // may still be swapping when they return.
      const settled = async () => (await api.call('GET', '/v1/datasets/ticks')).body.lake.partitions.every((p: { files: number }) => p.files === 1);
      for (let i = 0; i < 40 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 250));
      expect(await settled()).toBe(true);
      expect(await everyRow(api)).toEqual(before);
    } finally {
      dbA.close();
      dbB.close();
    }
  });

  it('npm run compact prints what it did for datasets and views, and exits 2 on a bad option', async () => {
    // The API (and its background compaction) stops: what follows must stay for the CLI to do.
    await api.app.close();
    const store = await openStore(api.dataDir, systemClock);
    try {
      // A view materialised twice: two small parts in its offline store; six new small batches.
      await store.features.applyEntity(symbolEntity);
      await store.features.apply({ name: 'tick_px', entity: 'symbol', source: 'ticks', ttl: '1d', sql: 'SELECT symbol, ts, close AS px FROM source', features: [{ name: 'px', type: 'DOUBLE' }] });
      await store.materializer.run({ view: 'tick_px' });
      for (let b = 24; b < 30; b++) await store.datasets.ingestRows('ticks', rows(b));
      await store.materializer.run({ view: 'tick_px' });
    } finally {
      await store.close();
    }
    const run = (...args: string[]) => spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/ingest/src/compact/compact.main.ts', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: api.dataDir, LAKE_COMPACTION_GRACE_S: '0' }, encoding: 'utf8' });
    const out = run('--json');
    expect(out.status).toBe(0);
    const reports = JSON.parse(out.stdout) as Array<{ dataset?: string; view?: string; partitions: Array<{ inputFiles: number; outputFiles: number }> }>;
    // Every dataset, then every view.
    expect(reports.map((r) => r.dataset ?? `view ${r.view}`).sort()).toEqual(['daily_bars', 'ticks', 'view tick_px']);
    expect(reports.find((r) => r.view)).toMatchObject({ view: 'tick_px', versions: [{ inputFiles: 2, outputFiles: 1 }] });
    const report = reports.find((r) => r.dataset === 'ticks')!;
    expect(report.dataset).toBe('ticks');
    expect(report.partitions.reduce((n, p) => n + p.inputFiles, 0)).toBeGreaterThanOrEqual(6);
    expect(report.partitions.every((p) => p.outputFiles === 1)).toBe(true);
    expect(out.stderr).toMatch(/\[1\/\d+\] ticks /);
    expect(run('nope').stderr).toMatch(/nope: no dataset or feature view of that name/);
    const bad = run('--partition', 'week');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--partition must be one of day, month, year/);
  });
});
