import { query } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';

// The built-in label view forward_returns over HTTP, against plain SQL over the lake's bars.
describe('labels over HTTP: forward_returns in training sets, refused online', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '60' });
  });
  afterAll(() => api.stop());

  // Per bar of the lake (current rows): the 5-bar forward return and the ts of the bar 20 later.
  async function referenceBars(symbol: string): Promise<Array<{ ts: string; fwd: number | null; at: string | null }>> {
    const rows = await query<{ ts: string; close: number }>(
      `SELECT ts, close FROM read_parquet('${api.dataDir}/lake/bars_1d/*/*.parquet') WHERE symbol = '${symbol}'
       QUALIFY row_number() OVER (PARTITION BY symbol, ts ORDER BY ingested_at DESC) = 1 ORDER BY ts`,
    );
    return rows.map((r, i) => ({
      ts: new Date(r.ts).toISOString(),
      fwd: i + 5 < rows.length ? rows[i + 5].close / r.close - 1 : null,
      at: i + 20 < rows.length ? new Date(rows[i + 20].ts).toISOString() : null,
    }));
  }

  it('joins the label of each row’s decision bar, and its available_at, as the lake says', async () => {
    const bars = await referenceBars('BTC-USD');
    // On a bar, an hour after one, and four days after the last one (outside the 3-day TTL).
    const last = bars[bars.length - 1].ts;
    const entities = [
      ...bars.map((b) => ({ symbol: 'BTC-USD', ts: b.ts })),
      ...bars.map((b) => ({ symbol: 'BTC-USD', ts: new Date(Date.parse(b.ts) + 3_600_000).toISOString() })),
      { symbol: 'BTC-USD', ts: new Date(Date.parse(last) + 4 * 86_400_000).toISOString() },
    ];
    const res = await api.call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], labels: ['forward_returns:fwd_ret_5d'], entities });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual(['symbol', 'ts', 'returns__ret_1d', 'forward_returns__fwd_ret_5d', 'forward_returns__available_at']);
    expect(res.body.rows).toHaveLength(entities.length);
    res.body.rows.forEach((row: Record<string, unknown>, i: number) => {
      const t = Date.parse(entities[i].ts);
      const bar = [...bars].reverse().find((b) => Date.parse(b.ts) <= t && Date.parse(b.ts) >= t - 3 * 86_400_000);
      // Every available_at is in the past here: the cutoff (the set's creation) is now.
      const known = bar !== undefined && bar.at !== null;
      const want = { i, fwd: known ? expect.closeTo(bar.fwd!, 12) : null, at: known ? bar.at : null };
      const at = row.forward_returns__available_at === null ? null : new Date(String(row.forward_returns__available_at)).toISOString();
      expect({ i, fwd: row.forward_returns__fwd_ret_5d, at }).toEqual(want);
    });
    const manifest = await api.call('GET', `/v1/training-sets/${res.body.trainingSetId}`);
    expect(manifest.body.labels).toEqual([{ view: 'forward_returns', version: 1, label: 'fwd_ret_5d' }]);
  });

  it('takes labels as a query parameter with an entity frame body', async () => {
    const res = await fetch(`${api.base}/v1/training-sets?features=returns:ret_1d&labels=forward_returns:fwd_up_1d,forward_returns:fwd_ret_1d`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'symbol,ts\nBTC-USD,2021-04-13T00:00:00Z\n',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { columns: string[]; rows: Array<Record<string, unknown>> };
    expect(body.columns).toEqual(['symbol', 'ts', 'returns__ret_1d', 'forward_returns__fwd_up_1d', 'forward_returns__fwd_ret_1d', 'forward_returns__available_at']);
    const bars = await referenceBars('BTC-USD');
    const i = bars.findIndex((b) => b.ts === '2021-04-13T00:00:00.000Z');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(new Date(String(body.rows[0].forward_returns__available_at)).toISOString()).toBe(bars[i + 20].ts);
  });

  it('refuses labels online (ours and Feast’s) and in features, naming the view (422)', async () => {
    const ours = await api.call('POST', '/v1/online-features', { features: ['returns:ret_1d', 'forward_returns:fwd_ret_5d'], entities: { symbol: ['BTC-USD'] } });
    expect(ours).toMatchObject({ status: 422, body: { error: { code: 'LABEL_MISUSE', details: { field: 'features[1]', view: 'forward_returns' } } } });
    expect(ours.body.error.message).toMatch(/^features\[1\]: forward_returns is a label view/);
    const feast = await api.call('POST', '/get-online-features', { features: ['forward_returns:fwd_up_1d'], entities: { symbol: ['BTC-USD'] } });
    expect(feast.status).toBe(422);
    expect(JSON.parse(feast.body as string)).toMatchObject({ module: 'feast.errors', message: expect.stringContaining('forward_returns is a label view') });
    const inFeatures = await api.call('POST', '/v1/training-sets', { features: ['forward_returns:fwd_ret_5d'], entities: [{ symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z' }] });
    expect(inFeatures).toMatchObject({ status: 422, body: { error: { code: 'LABEL_MISUSE', details: { field: 'features[0]', view: 'forward_returns' } } } });
    const notALabel = await api.call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], labels: ['returns:ret_5d'], entities: [{ symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z' }] });
    expect(notALabel).toMatchObject({ status: 422, body: { error: { code: 'LABEL_MISUSE', details: { field: 'labels[0]', view: 'returns' } } } });
    const badType = await api.call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], labels: 'forward_returns:fwd_ret_5d', entities: [{ symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z' }] });
    expect(badType).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^labels: /) } } });
  });
});
