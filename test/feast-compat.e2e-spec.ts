import { query } from './support/helpers';
import { feastSdk } from './support/feast-sdk';
import { startTestApi, type TestApi } from './support/test-api';

const FEATURES = ['returns:ret_1d', 'volatility:vol_20d', 'updown:going_up', 'trend:rsi_14'];
const SYMBOLS = ['SYN0001', 'SYN0002', 'BTC-USD', 'NOPE'];

/** A Feast error body: a JSON string holding {"module", "class", "message"}. */
function feastError(body: unknown): { module: string; class: string; message: string } {
  expect(typeof body).toBe('string');
  return JSON.parse(body as string);
}

describe("Feast's clients against our API", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  }, 120_000);
  afterAll(() => api.stop());

  it("Feast's Python SDK reads the same values and statuses as /v1/online-features, pushes, and gets typed errors", async () => {
    const ours = await api.call('POST', '/v1/online-features', { features: FEATURES, entities: { symbol: SYMBOLS } });
    const out = await feastSdk(api.base, [
      '--features', FEATURES.join(','), '--symbols', SYMBOLS.join(','),
      '--push-source', 'returns', '--push-views', 'returns', '--push-mode', 'both', '--check-errors',
    ]);
    expect(out.warnings).toEqual([]);
    expect(out.ok).toBe(true);
    const sdk = out.sdk_full;
    expect(sdk.feature_names).toEqual(ours.body.featureNames);
    const feastStatus: Record<string, string> = { PRESENT: 'PRESENT', NOT_FOUND: 'NOT_FOUND', OUTSIDE_TTL: 'OUTSIDE_MAX_AGE' };
    for (const name of ours.body.featureNames.slice(1)) {
      expect({ name, values: sdk.to_dict[name] }).toEqual({ name, values: ours.body.rows.map((r: Record<string, unknown>) => r[name]) });
      expect({ name, statuses: sdk.statuses[name] }).toEqual({ name, statuses: ours.body.metadata.map((m: { statuses: Record<string, string> }) => feastStatus[m.statuses[name]]) });
    }
    // Doubles reach Python as floats (we write 1.0, not 1), booleans as bools.
    expect(sdk.python_types.returns__ret_1d).toContain('float');
    expect(sdk.python_types.updown__going_up).toContain('bool');
    // store.push() goes to /write-to-online-store; a raw /push with Feast's body works too.
    expect(out.sdk_push.endpoint_used_by_sdk).toBe('/write-to-online-store');
    expect(out.sdk_push.readback.to_dict.returns__ret_1d).toEqual(out.sdk_push.readback.expected.returns__ret_1d);
    expect(out.http_push.status).toBe(200);
    expect(out.http_push.readback.to_dict.returns__ret_1d).toEqual(out.http_push.readback.expected.returns__ret_1d);
    expect(out.http_push.unknown_push_source.status).toBe(422);
    // Our 4xx bodies carry Feast's error detail, so the SDK raises its own exception class.
    expect(out.errors.unknown_view.raised).toBe('feast.errors.FeatureViewNotFoundException');
  }, 240_000);

  it('/write-to-online-store checks every value before writing anything, and never rolls a value back', async () => {
    const write = (df: Record<string, unknown[]>) => api.call('POST', '/write-to-online-store', { feature_view_name: 'returns', df, allow_registry_cache: false });
    const read = async () => (await api.call('POST', '/v1/online-features', { features: ['returns:ret_1d', 'returns:ret_5d'], entities: { symbol: ['WRITE-1', 'WRITE-2'] } })).body;
    // Feast's SDK sends naive UTC times; within the view's 3-day TTL of now.
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const naive = hourAgo.toISOString().slice(0, 19);
    const at = (hours: number) => new Date(hourAgo.getTime() + hours * 3_600_000).toISOString();
    const ok = await write({ symbol: ['WRITE-1', 'WRITE-2'], event_timestamp: [naive, naive.replace('T', ' ')], ret_1d: [0.1, 2], created: [null, null] });
    expect(ok.status).toBe(200);
    expect(ok.body).toBeNull();
    const after = await read();
    expect(after.rows.map((r: Record<string, unknown>) => r.returns__ret_1d)).toEqual([0.1, 2]);
    // A feature absent from the frame is stored as null.
    expect(after.rows[0].returns__ret_5d).toBeNull();
    expect(after.metadata[0].eventTimestamps.returns__ret_1d).toBe(hourAgo.toISOString().replace('.000Z', 'Z'));

    for (const [df, field] of [
      [{ symbol: ['WRITE-1', 'WRITE-2'], event_timestamp: [at(1), 'yesterday'], ret_1d: [9, 9] }, 'df.event_timestamp[1]'],
      [{ symbol: ['WRITE-1', 'WRITE-2'], event_timestamp: [at(1), at(1)], ret_1d: [9, 'high'] }, 'df.ret_1d[1]'],
      [{ symbol: ['WRITE-1', 7], event_timestamp: [at(1), at(1)], ret_1d: [9, 9] }, 'df.symbol[1]'],
      [{ symbol: ['WRITE-1'], event_timestamp: [at(1)], ret_1d: [9], rett_5d: [1] }, 'df.rett_5d'],
      [{ symbol: ['WRITE-1', 'WRITE-2'], event_timestamp: [at(1)], ret_1d: [9, 9] }, 'df.event_timestamp'],
      [{ event_timestamp: [at(1)], ret_1d: [9] }, 'df.symbol'],
    ] as const) {
      const res = await write(df as unknown as Record<string, unknown[]>);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(feastError(res.body).message).toContain(field);
    }
    const unknown = await api.call('POST', '/write-to-online-store', { feature_view_name: 'nope', df: { symbol: ['X'] } });
    expect(unknown.status).toBe(422);
    expect(feastError(unknown.body).class).toBe('FeatureViewNotFoundException');
    // Nothing of the refused frames was written; an older event time does not replace a newer one.
    expect((await read()).rows).toEqual(after.rows);
    expect((await write({ symbol: ['WRITE-1'], event_timestamp: [at(-1)], ret_1d: [-1] })).status).toBe(200);
    expect((await read()).rows).toEqual(after.rows);
  });

  it('/push of bars to a dataset stores them in the lake and recomputes the online values as materialisation does', async () => {
    const [last] = await query<{ ts: string; close: number }>(
      `SELECT ts, close FROM read_parquet('${api.dataDir}/lake/bars_1d/*/*.parquet') WHERE symbol = 'SYN0003' ORDER BY ts DESC, ingested_at DESC LIMIT 1`,
    );
    const next = new Date(Date.parse(last.ts) + 86_400_000).toISOString().replace('.000Z', 'Z');
    const close = Math.round(last.close * 1.05 * 100) / 100;
    const bar = { symbol: ['SYN0003'], ts: [next], open: [last.close], high: [close + 1], low: [last.close - 1], close: [close], volume: [1234] };

    const offlineOnly = await api.call('POST', '/push', { push_source_name: 'bars_1d', df: bar, to: 'offline' });
    expect(offlineOnly.status).toBe(200);
    expect(offlineOnly.body.rows.accepted).toBe(1);
    expect(offlineOnly.body.online).toEqual([]);
    const lookup = () => api.call('POST', '/v1/online-features', { features: ['returns:ret_1d', 'volatility:vol_20d', 'trend:rsi_14'], entities: { symbol: ['SYN0003'] } });
    expect((await lookup()).body.metadata[0].eventTimestamps.returns__ret_1d).toBe(last.ts);

    const pushed = await api.call('POST', '/push', { push_source_name: 'bars_1d', df: bar });
    expect(pushed.status).toBe(200);
    const online = (await lookup()).body;
    expect(online.metadata[0].eventTimestamps.returns__ret_1d).toBe(next);
    expect(online.rows[0].returns__ret_1d).toBeCloseTo(close / last.close - 1, 12);

    // The offline store, brought up to date by a normal materialisation, has the same values.
    for (const view of ['returns', 'volatility', 'trend']) await api.store.materializer.run({ view });
    for (const [view, feature] of [['returns', 'ret_1d'], ['volatility', 'vol_20d'], ['trend', 'rsi_14']]) {
      const [row] = await query<{ v: number }>(`SELECT ${feature} AS v FROM read_parquet('${api.dataDir}/offline/${view}/v1/*.parquet') WHERE symbol = 'SYN0003' AND event_ts = TIMESTAMPTZ '${next}'`);
      expect({ feature, value: online.rows[0][`${view}__${feature}`] }).toEqual({ feature, value: row.v });
    }
  });

  it('/push refuses a bad target, an unknown source and a ragged frame with 4xx in Feast’s error shape', async () => {
    const cases = [
      [{ push_source_name: 'bars_1d', df: { symbol: ['A'] }, to: 'somewhere' }, 400, 'to'],
      [{ push_source_name: 'returns', df: { symbol: ['A'] }, to: 'online_and_offline' }, 400, 'to'],
      [{ push_source_name: 'nope', df: { symbol: ['A'] } }, 422, 'push_source_name'],
      [{ push_source_name: 'bars_1d', df: { symbol: ['A', 'B'], ts: ['2026-01-01'] } }, 400, 'df.ts'],
      [{ df: { symbol: ['A'] } }, 400, 'push_source_name'],
    ] as const;
    for (const [body, status, field] of cases) {
      const res = await api.call('POST', '/push', body);
      expect({ field, status: res.status }).toEqual({ field, status });
      expect(feastError(res.body).message).toContain(field);
    }
  });
});
