import { FixedClock, type FeatureStore } from '@app/features';
import { openStore, query, tempDataDir } from '../support/helpers';
import { FORWARD_LABEL_SQL as LABEL_SQL, forwardLabelView as labelView, labelBars, referenceForwardLabels, type LabelBar } from '../support/reference-labels';

const featureView = {
  name: 'ret',
  entity: 'symbol',
  source: 'bars',
  ttl: '3d',
  sql: 'SELECT symbol, ts, close / lag(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret_1 FROM source',
  features: [{ name: 'ret_1', type: 'DOUBLE' }],
};

// The rows a reader answers with: per (symbol, event_ts) the one created last (revision files win ties).
async function currentOffline(dir: string, view: string): Promise<Array<Record<string, unknown>>> {
  return query(`SELECT symbol, event_ts, fwd_3, up_1, available_at FROM read_parquet('${dir}/offline/${view}/v1/*.parquet', filename = 'f')
    QUALIFY row_number() OVER (PARTITION BY symbol, event_ts ORDER BY created_ts DESC, f DESC) = 1 ORDER BY symbol, event_ts`);
}

function expectMatches(rows: Array<Record<string, unknown>>, bars: readonly LabelBar[]): void {
  const reference = referenceForwardLabels(bars, { fwd_3: 3 }, { up_1: 1 });
  expect(rows.map((r) => `${r.symbol} ${new Date(String(r.event_ts)).toISOString()}`)).toEqual(reference.map((r) => `${r.symbol} ${r.ts}`));
  rows.forEach((row, i) => {
    const ref = reference[i];
    const where = `${ref.symbol} ${ref.ts}`;
    expect({ where, at: row.available_at === null ? null : new Date(String(row.available_at)).toISOString() }).toEqual({ where, at: ref.available_at });
    expect({ where, up: row.up_1 }).toEqual({ where, up: ref.up_1 });
    if (ref.fwd_3 === null) expect({ where, fwd: row.fwd_3 }).toEqual({ where, fwd: null });
    else expect(Math.abs(Number(row.fwd_3) - (ref.fwd_3 as number))).toBeLessThan(1e-12);
  });
}

describe('label views (kind "label")', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  const bars = labelBars(['AAA', 'BBB', 'CCC'], 40, 7);
  const early = bars.filter((b) => b.ts < '2024-01-26');
  const late = bars.filter((b) => b.ts >= '2024-01-26');

  beforeAll(async () => {
    tmp = tempDataDir();
    store = await openStore(tmp.dir, new FixedClock(new Date('2024-03-01T00:00:00Z')));
    await store.datasets.ingestRows('bars', early);
    await store.features.applyEntity({ name: 'symbol', joinKeys: ['symbol'] });
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('refuses look-ahead in a feature view, naming the reason', async () => {
    for (const sql of [
      'SELECT symbol, ts, lead(close) OVER (PARTITION BY symbol ORDER BY ts) AS x FROM source',
      'SELECT symbol, ts, avg(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS x FROM source',
      'SELECT symbol, ts, avg(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS x FROM source',
      'SELECT symbol, ts, lag(close, -2) OVER (PARTITION BY symbol ORDER BY ts) AS x FROM source',
      'SELECT symbol, ts, lag(close, 1 - 3) OVER (PARTITION BY symbol ORDER BY ts) AS x FROM source',
    ]) {
      const error = await store.features.apply({ ...featureView, name: 'peek', sql, features: [{ name: 'x', type: 'DOUBLE' }] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FEATURE_SQL_REJECTED', message: expect.stringMatching(/^sql: looks ahead: .*kind.*label/) });
    }
    // Looking back stays allowed, a literal offset and a default value included.
    const back = 'SELECT symbol, ts, lag(close, 2, 0) OVER (PARTITION BY symbol ORDER BY ts) AS x FROM source';
    await expect(store.features.plan({ ...featureView, name: 'back', sql: back, features: [{ name: 'x', type: 'DOUBLE' }] })).resolves.toMatchObject({ created: true });
    // The same SQL as a label view (with its available_at) is accepted.
    const sql = 'SELECT symbol, ts, lead(close) OVER (PARTITION BY symbol ORDER BY ts) AS x, lead(ts) OVER (PARTITION BY symbol ORDER BY ts) AS available_at FROM source';
    await expect(store.features.plan({ ...labelView, name: 'peek', sql, features: [{ name: 'x', type: 'DOUBLE' }] })).resolves.toMatchObject({ created: true });
  });

  it('asks a label view for available_at, a timestamp, and keeps labels off the stream', async () => {
    const noAt = LABEL_SQL.replace(',\n  lead(ts, 3) OVER w AS available_at', '');
    await expect(store.features.plan({ ...labelView, sql: noAt })).rejects.toMatchObject({ code: 'FEATURE_SQL_REJECTED', message: expect.stringContaining('available_at') });
    await expect(store.features.plan({ ...labelView, sql: LABEL_SQL.replace('lead(ts, 3) OVER w', '1.0') })).rejects.toMatchObject({ message: 'sql: available_at is DECIMAL(2,1), not a timestamp' });
    await expect(store.features.plan({ ...labelView, stream: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'stream' } });
    // A feature view may not name a column available_at without declaring it (it is no label).
    await expect(store.features.plan({ ...featureView, sql: featureView.sql.replace(' FROM', ', ts AS available_at FROM') })).rejects.toMatchObject({ code: 'FEATURE_SQL_REJECTED' });
  });

  it('versions a label view like any view; kind is part of the version', async () => {
    const first = await store.features.apply(labelView);
    expect(first).toMatchObject({ version: 1, created: true });
    await expect(store.features.apply({ ...labelView, description: 'x' })).resolves.toMatchObject({ version: 1, created: false, change: 'metadata' });
    expect((await store.features.getVersion('fwd', 1)).definition.kind).toBe('label');
    const plain = await store.features.apply(featureView);
    await expect(store.features.apply({ ...featureView, kind: 'feature' })).resolves.toMatchObject({ version: plain.version, digest: plain.digest, created: false });
  });

  it('materialises available_at offline, as the brute-force reference over the lake, also when later bars complete earlier labels', async () => {
    await store.materializer.run({ view: 'fwd' });
    expectMatches(await currentOffline(tmp.dir, 'fwd'), early);
    // The last 3 bars of each symbol are not complete yet: labels and available_at null.
    const open = (await currentOffline(tmp.dir, 'fwd')).filter((r) => r.available_at === null);
    expect(open).toHaveLength(9);
    await store.datasets.ingestRows('bars', late);
    await store.materializer.run({ view: 'fwd' });
    expectMatches(await currentOffline(tmp.dir, 'fwd'), bars);
    // A second run writes nothing.
    await expect(store.materializer.run({ view: 'fwd' })).resolves.toMatchObject({ rows: 0, onlineRows: 0 });
  });

  it('never writes a label online, and refuses a lookup of one (422 naming the view)', async () => {
    expect(await store.online.read([{ view: 'fwd', version: 1 }], [['AAA'], ['BBB']])).toEqual([[undefined, undefined]]);
    const error = await store.serving.lookup({ features: ['ret:ret_1', 'fwd:fwd_3'], entities: { symbol: ['AAA'] } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LABEL_MISUSE', message: expect.stringMatching(/^features\[1\]: fwd is a label view/), details: { field: 'features[1]', view: 'fwd' } });
  });
});
