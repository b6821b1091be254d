import { defineFeatureView } from '@app/features';
import { startTestApi, type TestApi } from './support/test-api';
import { expectEventually } from './support/wait';

const VIEW = {
  name: 'price_momentum',
  entity: 'symbol',
  source: 'bars_1d',
  timestampColumn: 'ts',
  ttl: '7d',
  sql: 'SELECT symbol, ts, close / lag(close) OVER w - 1 AS ret_1d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [{ name: 'ret_1d', type: 'DOUBLE', description: '1-day return' }],
  description: 'momentum',
  owner: 'quant',
  tags: { team: 'quant' },
};

describe('feature views over HTTP: versions, digests, the SQL sandbox', () => {
  let api: TestApi;
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '30' });
  });
  afterAll(() => api.stop());

  it('has the built-in catalog and the symbol entity from first start', async () => {
    expect((await call('GET', '/v1/entities')).body).toEqual([{ name: 'symbol', joinKeys: ['symbol'], description: expect.any(String) }]);
    const views = (await call('GET', '/v1/feature-views')).body as Array<{ name: string; version: number }>;
    expect(views.map((v) => v.name).sort()).toEqual(['forward_returns', 'returns', 'trend', 'updown', 'volatility', 'volume_stats']);
    expect(views.every((v) => v.version === 1)).toBe(true);
    expect((await call('GET', '/v1/feature-services/market_signals')).body).toMatchObject({ name: 'market_signals', version: 1 });
  });

  it('creates version 1, returns it again for an identical or reformatted definition, and makes no version for metadata', async () => {
    const first = await call('POST', '/v1/feature-views', VIEW);
    expect(first).toMatchObject({ status: 201, body: { name: 'price_momentum', version: 1, created: true, digest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const again = await call('POST', '/v1/feature-views', { ...VIEW, sql: `  ${VIEW.sql.replace(/ /g, '\n  ')} ` });
    expect(again).toMatchObject({ status: 200, body: { version: 1, created: false, digest: first.body.digest } });
    const meta = await call('POST', '/v1/feature-views', { ...VIEW, description: 'momentum, explained', tags: { team: 'alpha' } });
    expect(meta).toMatchObject({ status: 200, body: { version: 1, created: false, change: 'metadata' } });
    expect((await call('GET', '/v1/feature-views/price_momentum/versions/1')).body).toMatchObject({ version: 1, metadata: { description: 'momentum, explained' }, materialized: null });
    // Streaming on or off does not change values either: same version, switched in place.
    const streamed = await call('POST', '/v1/feature-views', { ...VIEW, description: 'momentum, explained', tags: { team: 'alpha' }, stream: true });
    expect(streamed).toMatchObject({ status: 200, body: { version: 1, created: false, change: 'metadata' } });
    expect((await call('GET', '/v1/feature-views/price_momentum/versions/1')).body.definition.stream).toBe(true);
  });

  it('makes version 2 for a changed definition, keeping version 1 readable', async () => {
    await call('POST', '/v1/feature-views', VIEW);
    const changed = await call('POST', '/v1/feature-views', { ...VIEW, ttl: '14d', sql: VIEW.sql.replace('lag(close)', 'lag(close, 2)') });
    expect(changed).toMatchObject({ status: 201, body: { version: 2, created: true, change: 'new-version', changed: ['sql', 'ttlSeconds'] } });
    const history = (await call('GET', '/v1/feature-views/price_momentum')).body;
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(history.latest).toBe(2);
    expect((await call('GET', '/v1/feature-views/price_momentum/versions/1')).body.definition.ttl).toBe('7d');
    expect((await call('GET', '/v1/feature-views/price_momentum/versions/3')).status).toBe(404);
    expect((await call('GET', '/v1/feature-views/nope')).body.error.code).toBe('UNKNOWN_FEATURE_VIEW');
  });

  it('makes a new version for a change of lookback alone and reports it; the same lookback in other units is no change', async () => {
    const probe = { ...VIEW, name: 'lookback_probe', lookback: '30d' };
    expect((await call('POST', '/v1/feature-views', probe)).body).toMatchObject({ version: 1, change: 'new-view' });
    const longer = await call('POST', '/v1/feature-views', { ...probe, lookback: '45d' });
    expect(longer).toMatchObject({ status: 201, body: { version: 2, created: true, change: 'new-version', changed: ['lookback'] } });
    // Materialisation reads the lookback of the version it computes: version 2 has the new one.
    expect((await call('GET', '/v1/feature-views/lookback_probe/versions/2')).body.definition.lookback).toBe('45d');
    expect((await call('GET', '/v1/feature-views/lookback_probe/versions/1')).body.definition.lookback).toBe('30d');
    expect((await call('POST', '/v1/feature-views', { ...probe, lookback: '1080h' })).body).toMatchObject({ version: 2, created: false, change: 'unchanged' });
    expect((await call('POST', '/v1/feature-views', { ...probe, lookback: null })).body).toMatchObject({ version: 3, change: 'new-version', changed: ['lookback'] });
  });

  it('finds a version recorded under the digest of before the lookback counted, instead of making a new one', async () => {
    const old = defineFeatureView({ ...VIEW, name: 'legacy_view', lookback: '20d', features: [{ name: 'ret_1d', type: 'DOUBLE' }] });
    const legacyDigest = 'ab'.repeat(32);
    await api.store.registry.definitions.applyView(old, legacyDigest, new Date());
    const again = await call('POST', '/v1/feature-views', old);
    expect(again).toMatchObject({ status: 200, body: { version: 1, created: false, change: 'unchanged', digest: legacyDigest } });
    expect((await call('POST', '/v1/feature-views', { ...old, lookback: '25d' })).body).toMatchObject({ version: 2, change: 'new-version', changed: ['lookback'] });
  });

  it.each([
    ['a second statement', 'SELECT symbol, ts, close AS ret_1d FROM source; DROP TABLE source', /exactly one SELECT/],
    ['COPY to a file', "COPY (SELECT 1) TO '/tmp/pwned.csv'", /only a read-only SELECT|exactly one/],
    ['a file read', "SELECT symbol, ts, 1.0 AS ret_1d FROM read_csv('/etc/passwd')", /table functions are not allowed \(read_csv\)/],
    ['a file read in a subquery', "SELECT symbol, ts, (SELECT count(*) FROM read_text('/etc/passwd'))::DOUBLE AS ret_1d FROM source", /table functions are not allowed/],
    ['a parquet glob', "SELECT symbol, ts, close AS ret_1d FROM '/etc/*.parquet'", /may only read from "source"/],
    ['another table', 'SELECT symbol, ts, close AS ret_1d FROM duckdb_settings()', /table functions are not allowed/],
    ['a catalog table', 'SELECT symbol, ts, 1.0 AS ret_1d FROM information_schema.tables', /may only read from "source"/],
    ['ATTACH', "ATTACH '/tmp/x.db' AS x", /only a read-only SELECT|exactly one/],
    ['INSTALL', 'INSTALL httpfs', /only a read-only SELECT/],
    ['SET', 'SET enable_external_access = true', /only a read-only SELECT/],
    ['PRAGMA', 'PRAGMA database_list', /only a read-only SELECT/],
    ['getenv', "SELECT symbol, ts, length(getenv('HOME'))::DOUBLE AS ret_1d FROM source", /getenv|not allowed|does not exist/],
    ['current_setting', "SELECT symbol, ts, length(current_setting('home_directory'))::DOUBLE AS ret_1d FROM source", /current_setting is not allowed/],
    ['a quote escape', "SELECT symbol, ts, close AS ret_1d FROM source WHERE symbol = ''; DROP TABLE x; --'", /exactly one SELECT|does not parse/],
    ['garbage', 'SELEC nonsense', /does not parse/],
  ])('rejects %s with a 422 naming the sql', async (_what, sql, message) => {
    const res = await call('POST', '/v1/feature-views', { ...VIEW, name: 'evil', sql });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('FEATURE_SQL_REJECTED');
    expect(res.body.error.message).toMatch(message);
    expect(res.body.error.details.field).toBe('sql');
  });

  it.each([
    ['unknown source', { source: 'nope' }, 422, 'source'],
    ['bad ttl', { ttl: 'a week' }, 422, 'ttl'],
    ['bad lookback', { lookback: '3x' }, 422, 'lookback'],
    ['unknown entity', { entity: 'pair' }, 422, 'entity'],
    ['missing key column', { sql: 'SELECT ts, close AS ret_1d FROM source' }, 422, 'sql'],
    ['missing timestamp', { sql: 'SELECT symbol, close AS ret_1d FROM source' }, 422, 'timestampColumn'],
    ['a type mismatch', { sql: 'SELECT symbol, ts, symbol AS ret_1d FROM source' }, 422, 'features[0].type'],
    ['an undeclared column', { sql: 'SELECT symbol, ts, close AS ret_1d, open FROM source' }, 422, 'features'],
    ['a missing feature', { features: [{ name: 'ret_2d', type: 'DOUBLE' }] }, 422, 'features[0].name'],
    ['no features', { features: [] }, 400, 'features'],
    ['a bad feature type', { features: [{ name: 'ret_1d', type: 'MONEY' }] }, 400, 'features[0].type'],
    ['a bad name', { name: 'bad-name' }, 400, 'name'],
    ['an unknown field', { colour: 'red' }, 400, 'body'],
  ])('rejects %s, naming the field, and registers nothing', async (_what, change, status, field) => {
    const res = await call('POST', '/v1/feature-views', { ...VIEW, name: 'broken', ...change });
    expect({ status: res.status, field: res.body.error?.details?.field }).toEqual({ status, field });
    expect((await call('GET', '/v1/feature-views/broken')).status).toBe(404);
  });

  it('feature services reference existing features only', async () => {
    await call('POST', '/v1/feature-views', VIEW);
    expect((await call('POST', '/v1/feature-services', { name: 'svc', features: ['price_momentum@1:ret_1d', 'returns:ret_5d'] })).status).toBe(201);
    expect((await call('POST', '/v1/feature-services', { name: 'svc', features: ['price_momentum@1:ret_1d', 'returns:ret_5d'] })).body).toMatchObject({ version: 1, created: false });
    const bad = await call('POST', '/v1/feature-services', { name: 'svc2', features: ['returns:nope'] });
    expect(bad).toMatchObject({ status: 422, body: { error: { details: { field: 'features[0]' } } } });
    expect((await call('POST', '/v1/feature-services', { name: 'svc3', features: ['not a ref'] })).status).toBe(400);
  });

  it('materialises a version as a job: 202 while it runs, 200 when already done', async () => {
    await call('POST', '/v1/feature-views', VIEW);
    const started = await call('POST', '/v1/feature-views/price_momentum/versions/1/materialize', {});
    expect(started).toMatchObject({ status: 202, body: { jobId: expect.any(String), status: 'running' } });
    await expectEventually(async () => {
      const job = await call('GET', `/v1/jobs/${started.body.jobId}`);
      expect(job.body).toMatchObject({ status: 'succeeded', view: 'price_momentum', version: 1 });
      expect(job.body.rows).toBeGreaterThan(100);
    });
    const version = (await call('GET', '/v1/feature-views/price_momentum/versions/1')).body;
    expect(version.materialized).toMatchObject({ start: '2021-03-27T00:00:00.000Z', rows: expect.any(Number) });
    expect(await call('POST', '/v1/feature-views/price_momentum/versions/1/materialize', {})).toMatchObject({ status: 200, body: { status: 'succeeded', rows: 0 } });
    expect((await call('GET', '/v1/jobs/nope')).status).toBe(404);
    expect((await call('POST', '/v1/feature-views/price_momentum/versions/1/materialize', { start: 'soon' })).body.error.details.field).toBe('start');
    expect((await call('POST', '/v1/feature-views/price_momentum/versions/9/materialize', {})).status).toBe(404);
  });

  it('the bootstrap materialised the catalog, so the online store has today\'s values', async () => {
    const catalog = (await call('GET', '/v1/feature-views/trend/versions/1')).body;
    expect(catalog.materialized.end.slice(0, 10)).toBe(new Date().toISOString().slice(0, 10));
  });
});
