import type { Json } from './json-variants';

export type Scope = 'read' | 'write' | 'admin';

/**
 * What a request to one route looks like, from which the battery derives its hostile variants.
 * Every request is valid in shape but for one anchor (`refusedBy`): a name that does not exist,
 * a schema already declared otherwise. So the template itself is a 4xx that writes nothing, and
 * every variant must stay one whatever it does to the other fields (a hostile entity key or
 * description is legitimate data, and a valid request carrying it would be stored).
 */
export interface RouteSpec {
  /** As the server's route table names it: `POST /v1/datasets/:name/rows`. */
  readonly route: string;
  /** The scope the route needs (README's route table); `public`: no key at all. */
  readonly scope: Scope | 'public';
  /** Feast's routes answer errors in Feast's shape. */
  readonly feast?: boolean;
  /** A value for each path parameter (`version` parameters are numbers, the others names). */
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  /** A JSON body (POST and PUT routes). */
  readonly body?: Json;
  /** Why the template is refused, and with which status. */
  readonly refusedBy?: string;
  /** More templates, each refused at a later check, so that hostile values reach deeper code. */
  readonly more?: ReadonlyArray<{ readonly body: Json; readonly refusedBy: string }>;
  /** The route also takes tables (CSV, NDJSON, Parquet, Arrow): a CSV refused for `refusedBy`, and its query. */
  readonly table?: { readonly csv: string; readonly query?: Readonly<Record<string, string>>; readonly refusedBy: string };
  /** The request names a dataset or view outside the pattern-limited key's `hb_allowed_*`. */
  readonly limited?: boolean;
}

const T0 = '2024-01-01T00:00:00Z';

export const ROUTE_TABLE: readonly RouteSpec[] = [
  { route: 'GET /health/live', scope: 'public' },
  { route: 'GET /health', scope: 'read' },
  { route: 'GET /metrics', scope: 'read' },
  { route: 'GET /v1/keys', scope: 'admin' },
  { route: 'GET /openapi.json', scope: 'read' },
  { route: 'GET /docs', scope: 'read' },
  {
    route: 'GET /v1/audit',
    scope: 'admin',
    query: { limit: '0', keyId: 'admin', since: T0, after: '0' },
    refusedBy: 'limit=0 (400)',
  },
  { route: 'GET /v1/datasets', scope: 'read' },
  { route: 'GET /v1/datasets/:name', scope: 'read', params: { name: 'hb_nope' }, refusedBy: 'no such dataset (404)', limited: true },
  {
    route: 'PUT /v1/datasets/:name',
    scope: 'admin',
    params: { name: 'bars_1d' },
    body: {
      keys: ['symbol'],
      timestampColumn: 'ts',
      columns: [
        { name: 'symbol', type: 'VARCHAR', required: true },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        { name: 'close', type: 'VARCHAR' },
      ],
    },
    refusedBy: 'bars_1d is declared with other columns (409)',
    limited: true,
  },
  {
    route: 'POST /v1/datasets/:name/rows',
    scope: 'write',
    params: { name: 'bars_1d' },
    body: [{ symbol: 'HB', ts: T0, close: 1.5, volume: 10 }],
    refusedBy: 'the rows lack open, high and low (422, before any row is staged or quarantined)',
    table: { csv: `symbol,ts,close\nHB,${T0},1.5\n`, refusedBy: 'the rows lack open, high and low (422)' },
    limited: true,
  },
  {
    route: 'POST /v1/feature-views',
    scope: 'admin',
    body: {
      name: 'hb_view',
      entity: 'symbol',
      source: 'hb_nope',
      timestampColumn: 'ts',
      ttl: '7d',
      sql: 'SELECT symbol, ts, close AS px FROM source',
      features: [{ name: 'px', type: 'DOUBLE', description: 'the close' }],
      lookback: null,
      stream: false,
      description: 'hostile battery',
      owner: 'qa',
      tags: { team: 'qa' },
    },
    refusedBy: 'source hb_nope does not exist (422)',
  },
  { route: 'GET /v1/feature-views', scope: 'read' },
  { route: 'GET /v1/feature-views/:name', scope: 'read', params: { name: 'hb_nope' }, refusedBy: 'no such view (404)', limited: true },
  { route: 'GET /v1/feature-views/:name/versions/:version', scope: 'read', params: { name: 'hb_nope', version: '1' }, refusedBy: 'no such view (404)', limited: true },
  {
    route: 'GET /v1/feature-views/:name/versions/:version/stats',
    scope: 'read',
    params: { name: 'hb_nope', version: '1' },
    query: { start: T0, end: '2024-02-01T00:00:00Z' },
    refusedBy: 'no such view (404)',
    limited: true,
  },
  { route: 'GET /v1/feature-views/:name/versions/:version/runs', scope: 'read', params: { name: 'hb_nope', version: '1' }, refusedBy: 'no such view (404)', limited: true },
  {
    route: 'POST /v1/feature-views/:name/versions/:version/materialize',
    scope: 'write',
    params: { name: 'hb_nope', version: '1' },
    body: { start: T0, end: '2024-02-01T00:00:00Z' },
    refusedBy: 'no such view (404)',
    limited: true,
  },
  {
    route: 'GET /v1/feature-views/:name/versions/:version/drift',
    scope: 'read',
    params: { name: 'hb_nope', version: '1' },
    query: { reference: 'tset-hb-nope', window: '30d' },
    refusedBy: 'no such view (404)',
    limited: true,
  },
  {
    route: 'GET /v1/feature-views/:name/versions/:version/consistency',
    scope: 'read',
    params: { name: 'hb_nope', version: '1' },
    query: { keys: 'BTC-USD,SYN0001' },
    refusedBy: 'no such view (404)',
    limited: true,
  },
  {
    route: 'POST /v1/monitors',
    scope: 'write',
    body: { view: 'returns', version: 1, reference: 'tset-hb-nope', window: '30d', psiAlert: 0.2 },
    refusedBy: 'no training set tset-hb-nope (404), before anything is stored',
    limited: true,
  },
  { route: 'GET /v1/monitors', scope: 'read' },
  { route: 'GET /v1/monitors/:id', scope: 'read', params: { id: 'mon-hb-nope' }, refusedBy: 'no such monitor (404)' },
  { route: 'DELETE /v1/monitors/:id', scope: 'write', params: { id: 'mon-hb-nope' }, refusedBy: 'no such monitor (404)' },
  { route: 'GET /v1/jobs/:id', scope: 'read', params: { id: 'hb-nope' }, refusedBy: 'no such job (404)' },
  { route: 'GET /v1/jobs', scope: 'read', query: { limit: '0' }, refusedBy: 'limit=0 (400)' },
  {
    route: 'GET /v1/feature-views/:name/versions/:version/series',
    scope: 'read',
    params: { name: 'hb_nope', version: '1' },
    query: { symbol: 'BTC-USD', features: 'ret_1d', start: T0, end: '2024-02-01T00:00:00Z' },
    refusedBy: 'no such view (404)',
    limited: true,
  },
  { route: 'GET /v1/lineage', scope: 'read' },
  { route: 'GET /v1/datasets/:name/summary', scope: 'read', params: { name: 'hb_nope' }, refusedBy: 'no such dataset (404)', limited: true },
  { route: 'GET /ui', scope: 'public' },
  { route: 'POST /v1/entities', scope: 'admin', body: { name: 'hb-entity', joinKeys: ['symbol'], description: 'hostile battery' }, refusedBy: 'hb-entity is not a name (400)' },
  { route: 'GET /v1/entities', scope: 'read' },
  {
    route: 'POST /v1/feature-services',
    scope: 'admin',
    body: { name: 'hb_service', features: ['hb_nope:x'], description: 'hostile battery', owner: 'qa', tags: { team: 'qa' } },
    refusedBy: 'view hb_nope does not exist (422)',
  },
  { route: 'GET /v1/feature-services/:name', scope: 'read', params: { name: 'hb_nope' }, refusedBy: 'no such service (404)' },
  {
    route: 'POST /v1/online-features',
    scope: 'read',
    body: { features: ['returns:hb_nope'], entities: { symbol: ['BTC-USD', 'SYN0001'] } },
    refusedBy: 'returns has no feature hb_nope (422)',
    more: [{ body: { featureService: 'hb_nope', entities: { symbol: ['BTC-USD'] } }, refusedBy: 'no feature service hb_nope (422)' }],
    limited: true,
  },
  {
    route: 'POST /v1/training-sets',
    scope: 'read',
    body: { features: ['returns:hb_nope'], entities: [{ symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z', label: 1 }], pointInTime: 'event', timestampColumn: 'ts', runId: 'hb-run', knownAt: '2021-06-01T00:00:00Z' },
    refusedBy: 'returns has no feature hb_nope (422)',
    more: [
      { body: { featureService: 'hb_nope', entities: { from: 'bars_1d', symbols: ['BTC-USD'], start: '2021-01-01', end: '2021-02-01' } }, refusedBy: 'no feature service hb_nope (422)' },
      { body: { features: ['returns:ret_1d'], entities: [{ symbol: 'BTC-USD', at: '2021-05-01T00:00:00Z', label: 1 }] }, refusedBy: 'the rows have no ts column (400), read after the features are resolved' },
    ],
    table: {
      csv: 'symbol,at,label\nBTC-USD,2021-05-01T00:00:00Z,1\n',
      query: { features: 'returns:ret_1d', pointInTime: 'event', timestampColumn: 'ts', runId: 'hb-run' },
      refusedBy: 'the frame has no ts column (400), read after the features are resolved',
    },
    limited: true,
  },
  { route: 'GET /v1/training-sets/:id', scope: 'read', params: { id: 'tset-hb-nope' }, refusedBy: 'no such training set (404)' },
  { route: 'GET /v1/training-sets/:id/stats', scope: 'read', params: { id: 'tset-hb-nope' }, refusedBy: 'no such training set (404)' },
  { route: 'GET /v1/training-sets/:id/data', scope: 'read', params: { id: 'tset-hb-nope' }, refusedBy: 'no such training set (404)' },
  { route: 'POST /v1/training-sets/:id/recreate', scope: 'read', params: { id: 'tset-hb-nope' }, body: { runId: 'hb-run' }, refusedBy: 'no such training set (404)' },
  { route: 'GET /v1/training-sets/:id/diff', scope: 'read', params: { id: 'tset-hb-nope' }, query: { knownAt: '2021-06-01T00:00:00Z' }, refusedBy: 'no such training set (404)' },
  {
    route: 'POST /v1/runs',
    scope: 'write',
    body: { runId: 'hb-run', trainingSetIds: ['tset-hb-nope'], system: 'qa', tags: { team: 'qa' } },
    refusedBy: 'no training set tset-hb-nope (422)',
  },
  { route: 'GET /v1/runs/:runId', scope: 'read', params: { runId: 'hb-nope' }, refusedBy: 'no such run (404)' },
  {
    route: 'POST /get-online-features',
    scope: 'read',
    feast: true,
    body: { features: ['returns:hb_nope'], entities: { symbol: ['BTC-USD'] }, full_feature_names: false },
    refusedBy: 'returns has no feature hb_nope (422)',
    more: [{ body: { feature_service: 'hb_nope', entities: { symbol: ['BTC-USD'] } }, refusedBy: 'no feature service hb_nope (422)' }],
    limited: true,
  },
  {
    route: 'POST /push',
    scope: 'write',
    feast: true,
    body: { push_source_name: 'hb_nope', df: { symbol: ['HB'], ts: [T0], close: [1.5] }, to: 'online' },
    refusedBy: 'no view or dataset hb_nope (422)',
    more: [{ body: { push_source_name: 'bars_1d', df: { symbol: ['HB'], ts: [T0], close: [1.5] }, to: 'offline' }, refusedBy: 'the rows lack open, high and low (422)' }],
    limited: true,
  },
  {
    route: 'POST /write-to-online-store',
    scope: 'write',
    feast: true,
    body: { feature_view_name: 'hb_nope', df: { symbol: ['HB'], event_timestamp: [T0], px: [1.5] } },
    refusedBy: 'no view hb_nope (422)',
    more: [{ body: { feature_view_name: 'returns', df: { symbol: ['HB'], event_timestamp: [T0], ret_1d: [0.5], hb_unknown_feature: [1] } }, refusedBy: 'returns has no feature hb_unknown_feature (400)' }],
    limited: true,
  },
];
