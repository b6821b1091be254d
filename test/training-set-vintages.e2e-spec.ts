import { startTestApi, type TestApi } from './support/test-api';

// Vintages over HTTP with a real server: sets made with a knownAt (and one without) are re-created
// after corrections, late bars and new bars were ingested and materialised, and must come back
// with the same digest and rows; a diff against a later vintage must match a comparison of the
// two sets' rows made here.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = Date.parse('2024-03-01T00:00:00Z');
const SYMBOLS = ['VAA', 'VBB'];
const iso = (ms: number) => new Date(ms).toISOString();
const bar = (symbol: string, day: number, close: number, ingestedAt?: number) => ({
  symbol,
  ts: iso(FIRST + day * DAY),
  open: close,
  high: close,
  low: close,
  close,
  volume: 100 + day,
  ...(ingestedAt === undefined ? {} : { ingested_at: iso(ingestedAt) }),
});
const priceOf = (s: number, d: number) => 50 + 5 * s + d + 0.125 * ((d * 7 + s) % 5);

type Row = Record<string, unknown>;

describe('training-set vintages over HTTP: knownAt, recreate, diff', () => {
  let api: TestApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
  // Every day at the close and half a day later, past the first batch's data too (rows after knownAt).
  const entities = SYMBOLS.flatMap((symbol) => Array.from({ length: 28 }, (_, d) => [0, DAY / 2].map((o) => ({ symbol, ts: iso(FIRST + d * DAY + o), label: d }))).flat());
  const features = ['vin_px:px', 'vin_px:ret'];
  const KNOWN = FIRST + 19 * DAY + 2 * HOUR; // after every bar of the first batch
  const sets: Record<string, { id: string; digest: string; rows: Row[] }> = {};

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '1', BOOTSTRAP_DAYS: '10' });
    // First batch: days 0-19, VBB's day 8 missing, each bar known an hour after its close.
    const first = SYMBOLS.flatMap((symbol, s) => Array.from({ length: 20 }, (_, d) => d).filter((d) => !(symbol === 'VBB' && d === 8)).map((d) => bar(symbol, d, priceOf(s, d), FIRST + d * DAY + HOUR)));
    expect((await call('POST', '/v1/datasets/vin_bars/rows', first)).status).toBe(200);
    const view = await call('POST', '/v1/feature-views', {
      name: 'vin_px',
      entity: 'symbol',
      source: 'vin_bars',
      ttl: '3d',
      lookback: '5d',
      sql: 'SELECT symbol, ts, close AS px, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM source',
      features: [
        { name: 'px', type: 'DOUBLE' },
        { name: 'ret', type: 'DOUBLE' },
      ],
    });
    expect(view.status).toBe(201);
    for (const mode of ['event', 'knowledge'] as const) {
      for (const [name, knownAt] of [[`${mode}-known`, iso(KNOWN)], [`${mode}-default`, undefined]] as const) {
        const res = await call('POST', '/v1/training-sets', { features, entities, pointInTime: mode, ...(knownAt ? { knownAt } : {}) });
        expect(res.status).toBe(200);
        sets[name] = { id: res.body.trainingSetId, digest: res.body.digest, rows: res.body.rows };
      }
    }
    // Since: corrections (VAA day 5, VBB day 15), the late bar (VBB day 8) and new bars (days
    // 20-24), ingested now (after every set above), then materialised.
    const later = [bar('VAA', 5, 77.5), bar('VBB', 15, 88.25), bar('VBB', 8, 66.5), ...SYMBOLS.flatMap((symbol, s) => [20, 22, 23, 24].map((d) => bar(symbol, d, priceOf(s, d))))];
    expect((await call('POST', '/v1/datasets/vin_bars/rows', later)).status).toBe(200);
    const run = await call('POST', '/v1/feature-views/vin_px/versions/1/materialize');
    expect([200, 202]).toContain(run.status);
    await api.store.materializer.run({ view: 'vin_px' });
  });
  afterAll(() => api.stop());

  it('records knownAt in every manifest (the given one, or the creation time)', async () => {
    const known = await call('GET', `/v1/training-sets/${sets['event-known'].id}`);
    expect(known.body.knownAt).toBe(iso(KNOWN));
    const dflt = await call('GET', `/v1/training-sets/${sets['event-default'].id}`);
    expect(Date.parse(dflt.body.knownAt)).toBeGreaterThanOrEqual(Date.parse(dflt.body.createdAt));
  });

  const recreates = async (name: string, changed: boolean) => {
    const original = sets[name];
    // Whether the data changed for this set: the same request without knownAt now answers otherwise.
    const now = await call('POST', '/v1/training-sets', { features, entities, pointInTime: name.split('-')[0] });
    expect(now.body.digest !== original.digest).toBe(changed);
    const again = await call('POST', `/v1/training-sets/${original.id}/recreate`, { runId: `vin-${name}` });
    expect(again.status).toBe(201);
    expect(again.body.runIds).toEqual([`vin-${name}`]);
    expect(again.body.id).not.toBe(original.id);
    expect(again.body.digest).toBe(original.digest);
    const data = await call('GET', `/v1/training-sets/${again.body.id}/data`);
    expect(data.body.rows).toEqual(original.rows);
  };

  // The bars ingested now are known after every entity row (2024): only event mode sees them.
  it.each(['event-known', 'knowledge-known', 'event-default', 'knowledge-default'])('re-creates %s with the same digest and rows after later data was materialised', (name) =>
    recreates(name, name.startsWith('event')),
  );

  it.each(['event-known', 'knowledge-known'])('re-creates %s after corrections known (by their own ingested_at) between knownAt and the entity rows', async (name) => {
    if (name === 'event-known') {
      // Published by the vendor on days 20 and 21 of 2024: after KNOWN, before the later entity rows.
      const backdated = [bar('VBB', 15, 91.5, FIRST + 21 * DAY), bar('VAA', 18, 55.5, FIRST + 20 * DAY + HOUR), bar('VAA', 21, 71.25, FIRST + 21 * DAY + 2 * HOUR)];
      expect((await call('POST', '/v1/datasets/vin_bars/rows', backdated)).status).toBe(200);
      await api.store.materializer.run({ view: 'vin_px' });
    }
    await recreates(name, true);
  });

  it.each(['event', 'knowledge'])('diffs a %s-mode set against a later vintage as a comparison of the two sets gives', async (mode) => {
    const original = sets[`${mode}-known`];
    const later = iso(Date.now() + DAY);
    const res = await call('GET', `/v1/training-sets/${original.id}/diff?knownAt=${encodeURIComponent(later)}`);
    expect(res.status).toBe(200);
    // Reference: the set at the later vintage, asked for directly, compared row by row here.
    const other = await call('POST', '/v1/training-sets', { features, entities, pointInTime: mode, knownAt: later });
    expect(res.body.against.digest).toBe(other.body.digest);
    const expected = ['vin_px__px', 'vin_px__ret'].map((column) => {
      const changed = original.rows.map((r, i) => ({ i, before: r[column], after: other.body.rows[i][column] })).filter((c) => c.before !== c.after);
      return {
        column,
        changed: changed.length,
        examples: changed.slice(0, 5).map((c) => ({ row: c.i, entity: { symbol: original.rows[c.i].symbol, ts: original.rows[c.i].ts, label: original.rows[c.i].label }, before: c.before, after: c.after })),
      };
    });
    expect(expected[0].changed + expected[1].changed).toBeGreaterThan(2); // the vintages really differ
    expect(res.body).toMatchObject({ trainingSetId: original.id, knownAt: iso(KNOWN), rowCount: entities.length });
    expect(res.body.columns).toEqual(expected);
  });

  it('refuses a bad knownAt naming the field', async () => {
    const bad = await call('POST', '/v1/training-sets', { features, entities, knownAt: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^knownAt/);
    const diff = await call('GET', `/v1/training-sets/${sets['event-known'].id}/diff`);
    expect(diff.status).toBe(400);
    expect(diff.body.error.message).toMatch(/knownAt/);
    expect((await call('POST', '/v1/training-sets/tset-nope/recreate', {})).status).toBe(404);
  });
});
