import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { referenceStats } from './support/reference-stats';
import { startTestApi, type TestApi } from './support/test-api';

// The statistics routes over HTTP, against pandas/numpy over the same Parquet files.

describe('feature statistics over HTTP', () => {
  let api: TestApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '60' });
    await call('POST', '/v1/feature-views/returns/versions/1/materialize', {});
  });
  afterAll(() => api.stop());

  it('answers the kept statistics of a version, and a range exactly', async () => {
    const whole = await call('GET', '/v1/feature-views/returns/versions/1/stats');
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ view: 'returns', version: 1, range: null, exact: false });
    const files = [`${api.dataDir}/offline/returns/v1/*.parquet`];
    const names = whole.body.features.map((f: { name: string }) => f.name);
    const ref = referenceStats({ files, keys: ['symbol'], columns: names, dedupe: true });
    expect(whole.body.rows).toBe(ref.rows);
    for (const f of whole.body.features) {
      expect({ name: f.name, count: f.count, nulls: f.nulls }).toEqual({ name: f.name, count: ref.columns[f.name].count, nulls: ref.columns[f.name].nulls });
      if (f.mean !== null) expect(Math.abs(f.mean - ref.columns[f.name].mean!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref.columns[f.name].mean!)));
      if (f.histogram) expect(f.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(f.count);
    }

    const start = '2021-03-01T00:00:00.000Z';
    const end = '2021-04-30T00:00:00.000Z';
    const range = await call('GET', `/v1/feature-views/returns/versions/1/stats?start=${start}&end=${end}`);
    expect(range.status).toBe(200);
    expect(range.body).toMatchObject({ exact: true, range: { start, end } });
    const inRange = referenceStats({ files, keys: ['symbol'], columns: names, dedupe: true, start, end });
    expect(range.body.rows).toBe(inRange.rows);
    for (const f of range.body.features) {
      const r = inRange.columns[f.name];
      expect({ name: f.name, count: f.count, nulls: f.nulls }).toEqual({ name: f.name, count: r.count, nulls: r.nulls });
      if (r.quantiles) {
        for (const k of Object.keys(r.quantiles)) expect(Math.abs(f.quantiles[k] - r.quantiles[k])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(r.quantiles[k])));
        expect(f.histogram.counts).toEqual(r.histogram!.counts);
        expect(Math.abs(f.std - r.std!)).toBeLessThanOrEqual(1e-9 * Math.max(1, r.std!));
      }
    }
  });

  it('refuses unknown views and versions, bad dates naming the field, start after end', async () => {
    const unknownView = await call('GET', '/v1/feature-views/nope/versions/1/stats');
    expect(unknownView.status).toBe(404);
    expect(unknownView.body.error.details).toMatchObject({ field: 'name' });
    expect((await call('GET', '/v1/feature-views/returns/versions/99/stats')).status).toBe(404);
    const bad = await call('GET', '/v1/feature-views/returns/versions/1/stats?start=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain('start');
    const reversed = await call('GET', '/v1/feature-views/returns/versions/1/stats?start=2021-05-01&end=2021-04-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.details).toMatchObject({ field: 'start' });
    expect((await call('GET', '/v1/training-sets/tset-nope/stats')).status).toBe(404);
  });

  it('profiles a training set when it is created, stored beside it, as pandas does', async () => {
    const entities = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ symbol: i % 3 === 2 ? 'NOPE' : 'BTC-USD', ts: `2021-0${3 + (i % 4)}-1${i}T12:00:00Z`, label: i % 2 }));
    const created = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d', 'updown:going_up'], entities });
    expect(created.status).toBe(200);
    const id = created.body.trainingSetId as string;
    const stored = join(api.dataDir, 'training-sets', `${id}.stats.json`);
    expect(existsSync(stored)).toBe(true);
    const res = await call('GET', `/v1/training-sets/${id}/stats`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ trainingSetId: id, rows: entities.length });
    const ref = referenceStats({ files: [join(api.dataDir, 'training-sets', `${id}.parquet`)], keys: [], columns: created.body.columns, dedupe: false });
    expect(res.body.columns.map((c: { name: string }) => c.name)).toEqual(created.body.columns);
    for (const c of res.body.columns) {
      const r = ref.columns[c.name];
      expect({ name: c.name, count: c.count, nulls: c.nulls }).toEqual({ name: c.name, count: r.count, nulls: r.nulls });
      if (c.type === 'BOOLEAN' || c.type === 'VARCHAR') expect(Object.fromEntries(c.values.map((v: { value: unknown; count: number }) => [String(v.value), v.count]))).toEqual(r.values);
      else if (r.quantiles) {
        expect(Math.abs(c.quantiles.p50 - r.quantiles.p50)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(r.quantiles.p50)));
        expect(c.histogram.counts).toEqual(r.histogram!.counts);
      }
    }
    // A set made before profiles existed gets its profile on the first request, stored then.
    rmSync(stored);
    const again = await call('GET', `/v1/training-sets/${id}/stats`);
    expect(again.body).toEqual(res.body);
    expect(existsSync(stored)).toBe(true);
    const ts = res.body.columns.find((c: { name: string }) => c.name === 'ts');
    expect(ts).toMatchObject({ min: expect.stringMatching(/^2021-03-10T12:00:00(\.000)?Z$/), mean: null, histogram: null, values: null });
  });
});
