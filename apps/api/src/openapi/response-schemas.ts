import type { JsonSchema } from './zod-json-schema';

// The answers are TypeScript types, not zod schemas, so their shapes are written here; the e2e
// test checks real answers of the server against them (test/openapi.e2e-spec.ts).

const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer' };
const bool: JsonSchema = { type: 'boolean' };
const time: JsonSchema = { type: 'string', format: 'date-time' };
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
const arr = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
/** An object whose listed properties are all required (more may come: answers grow compatibly). */
const obj = (properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});
const metadata = { description: str, owner: str, tags: { type: 'object', additionalProperties: str } };
const features = arr(obj({ name: str, type: str, description: str }, ['description']));
const num: JsonSchema = { type: 'number' };
const driftFeature = obj({ name: str, psi: nullable(num), ks: nullable(num), referenceNullRate: nullable(num), currentNullRate: nullable(num), referenceCount: int, currentCount: int });
const comparedRow = obj({ eventTs: time, createdTs: time, values: { type: 'object' } });
const materialized = nullable(obj({ start: nullable(time), end: nullable(time), rows: int }, ['start', 'end']));

/** Shared schemas of the answers, under components.schemas. */
export const RESPONSE_SCHEMAS: Record<string, JsonSchema> = {
  Error: {
    ...obj({ error: obj({ code: str, message: str, details: nullable({ type: 'object' }) }) }),
    description: 'Every error of the API (docs/errors.md): `code` is stable, `message` starts with the field, `details` is an object or null.',
  },
  FeastError: { type: 'string', description: 'Feast\'s error shape on its routes: a JSON string holding {"module": "feast.errors", "class", "message"}.' },
  Health: obj({ status: { type: 'string', enum: ['ok', 'degraded'] }, stores: { type: 'object', additionalProperties: str } }),
  Dataset: obj({ name: str, keys: arr(str), timestampColumn: str, columns: arr(obj({ name: str, type: str })), calendar: nullable(str), partition: { type: 'string', enum: ['day', 'month', 'year'] }, retention: nullable(str), rows: int, minTs: nullable(str), maxTs: nullable(str), batches: int }),
  DatasetWithLake: obj({
    name: str, keys: arr(str), timestampColumn: str, columns: arr(obj({ name: str, type: str })), calendar: nullable(str), partition: { type: 'string', enum: ['day', 'month', 'year'] }, retention: nullable(str), rows: int, minTs: nullable(str), maxTs: nullable(str), batches: int,
    lake: obj({ files: int, bytes: int, smallFiles: int, replacedFiles: int, retentionHorizon: nullable(str), partitions: arr(obj({ partition: str, files: int, bytes: int, smallFiles: int })) }),
  }),
  RowsResult: obj({
    accepted: int,
    rejected: int,
    errors: arr(obj({ row: int, message: str })),
    batchId: nullable(str),
    duplicate: bool,
    supersededInBatch: int,
    quarantineFile: nullable(str),
    ignoredColumns: arr(str),
  }),
  ApplyOutcome: obj({ name: str, version: int, digest: str, created: bool, change: { type: 'string', enum: ['new-view', 'new-version', 'unchanged', 'metadata'] }, changed: arr(str) }),
  ViewSummary: obj({ name: str, version: int, digest: str, entity: str, source: str, ttl: nullable(str), features, createdAt: time, ...metadata }),
  View: obj({ name: str, latest: int, metadata: obj(metadata), versions: arr(obj({ version: int, digest: str, createdAt: time, materialized })) }),
  ViewVersion: obj({ name: str, version: int, digest: str, definition: { type: 'object' }, createdAt: time, metadata: obj(metadata), materialized }),
  Job: obj(
    { jobId: str, kind: str, view: str, version: int, status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] }, rows: int, start: nullable(str), end: nullable(str), error: str, createdAt: time, updatedAt: time },
    ['error'],
  ),
  JobStarted: obj({ jobId: str, status: str, rows: int }),
  Entity: obj({ name: str, joinKeys: arr(str), description: str }, ['description']),
  FeatureService: obj({ name: str, version: int, features: arr(str), description: str, owner: str, tags: { type: 'object', additionalProperties: str } }),
  Applied: obj({ name: str, created: bool, version: int }, ['version']),
  TrainingSetRows: obj({ trainingSetId: str, digest: str, columns: arr(str), rows: arr({ type: 'object' }) }),
  TrainingSetData: obj({ trainingSetId: str, digest: str, rows: arr({ type: 'object' }) }),
  TrainingSetDiff: obj({
    trainingSetId: str,
    knownAt: time,
    against: obj({ trainingSetId: str, knownAt: time, digest: str }),
    rowCount: int,
    columns: arr(obj({ column: str, changed: int, examples: arr(obj({ row: int, entity: { type: 'object' }, before: {}, after: {} })) })),
  }),
  ColumnStats: obj({
    name: str,
    type: str,
    count: int,
    nulls: int,
    mean: nullable({ type: 'number' }),
    std: nullable({ type: 'number' }),
    min: nullable({ anyOf: [{ type: 'number' }, str] }),
    max: nullable({ anyOf: [{ type: 'number' }, str] }),
    quantiles: nullable(obj(Object.fromEntries(['p1', 'p5', 'p25', 'p50', 'p75', 'p95', 'p99'].map((k) => [k, nullable({ type: 'number' })])))),
    histogram: nullable(obj({ edges: arr({ type: 'number' }), counts: arr(int) })),
    values: nullable(arr(obj({ value: { anyOf: [str, bool] }, count: int }))),
  }),
  FeatureViewStats: obj({
    view: str,
    version: int,
    range: nullable(obj({ start: time, end: time })),
    rows: int,
    updatedAt: time,
    exact: bool,
    features: arr(ref('ColumnStats')),
  }),
  TrainingSetStats: obj({ trainingSetId: str, rows: int, columns: arr(ref('ColumnStats')) }),
  TrainingSetManifest: obj({
    id: str,
    digest: str,
    entityDigest: str,
    rowCount: int,
    createdAt: time,
    pointInTime: { type: 'string', enum: ['event', 'knowledge'] },
    timestampColumn: str,
    knownAt: time,
    features: arr(obj({ view: str, version: int, feature: str })),
    labels: arr(obj({ view: str, version: int, label: str })),
    columns: arr(str),
    runIds: arr(str),
  }, ['labels', 'knownAt']),
  RunLinked: obj({ runId: str, trainingSets: arr(str) }),
  RunLineage: obj({ runId: str, trainingSets: arr(str), featureVersions: arr(obj({ view: str, version: int })) }),
  VersionRun: obj({ runId: str, trainingSetId: str, linkedAt: time }),
  OnlineFeatures: obj({
    featureNames: arr(str),
    versions: { type: 'object', additionalProperties: int },
    rows: arr({ type: 'object' }),
    metadata: arr(obj({ eventTimestamps: { type: 'object' }, statuses: { type: 'object', additionalProperties: { type: 'string', enum: ['PRESENT', 'NOT_FOUND', 'OUTSIDE_TTL'] } } })),
  }),
  FeastOnlineFeatures: obj({
    metadata: obj({ feature_names: arr(str) }),
    results: arr(obj({ values: arr({}), statuses: arr({ type: 'string', enum: ['PRESENT', 'NOT_FOUND', 'NULL_VALUE', 'OUTSIDE_MAX_AGE'] }), event_timestamps: arr(str) })),
  }),
  PushResult: { ...obj({ kind: { type: 'string', enum: ['feature-view', 'dataset'] }, online: {} }), description: 'A view: the online write; a dataset: `rows` (as the rows route) and the online refreshes.' },
  AuditPage: obj({ entries: arr(obj({ seq: int, at: time, keyId: str, route: str, targets: arr(str), counts: { type: 'object' }, outcome: str, status: int })), next: nullable(int) }),
  DriftReport: obj({ view: str, version: int, reference: str, window: str, windowStart: time, windowEnd: time, features: arr(driftFeature) }),
  Monitor: obj({
    id: str,
    view: str,
    version: int,
    reference: str,
    window: str,
    psiAlert: num,
    createdAt: time,
    last: nullable(obj({ evaluatedAt: time, windowStart: nullable(time), windowEnd: nullable(time), alert: bool, features: arr({ allOf: [driftFeature, obj({ alert: bool })] }) })),
  }),
  ConsistencyReport: obj({
    view: str,
    version: int,
    checked: int,
    mismatches: arr(
      obj({
        key: { type: 'object', additionalProperties: str },
        reason: { type: 'string', enum: ['value', 'event_ts', 'missing_online', 'missing_offline'] },
        online: nullable(comparedRow),
        offline: nullable(comparedRow),
        features: arr(str),
      }),
    ),
  }),
  FeatureSeries: {
    ...obj({ view: str, version: int, key: { type: 'object', additionalProperties: str }, ts: arr(time), values: { type: 'object', additionalProperties: arr({}) }, truncated: bool }),
    description: 'Columnar: `ts[i]` is the event time of `values[feature][i]`; one row per event time (a revision\'s row wins); `truncated` when the range held more than 200000 points.',
  },
  DatasetSummary: obj({
    name: str,
    keyCount: int,
    keys: arr(obj({ key: { type: 'object', additionalProperties: str }, rows: int, minTs: str, maxTs: str, gaps: int, longestStepSeconds: nullable({ type: 'number' }) })),
    batches: arr(obj({ batchId: str, seq: int, source: str, rows: int, rejected: int, committedAt: str })),
    quarantinedRows: int,
  }),
  LineageGraph: obj({
    nodes: arr(obj({ id: str, kind: { type: 'string', enum: ['dataset', 'view-version', 'training-set', 'run'] }, label: str, attrs: { type: 'object' } })),
    edges: arr(obj({ from: str, to: str })),
  }),
  Key: obj({ id: str, scopes: arr({ type: 'string', enum: ['read', 'write', 'admin'] }), datasets: nullable(arr(str)), views: nullable(arr(str)) }),
};

/** A success answer: status → (media type → schema), and what it means. */
export interface SuccessAnswer {
  readonly status: number;
  readonly description: string;
  readonly content?: Record<string, JsonSchema>;
}

const json = (schema: JsonSchema): Record<string, JsonSchema> => ({ 'application/json': schema });
const ok = (description: string, schema?: JsonSchema, status = 200): SuccessAnswer => ({ status, description, content: schema === undefined ? undefined : json(schema) });
const tableAnswer = (schema: JsonSchema): Record<string, JsonSchema> => ({
  'application/json': schema,
  'text/csv': str,
  'application/vnd.apache.parquet': { type: 'string', format: 'binary' },
  'application/vnd.apache.arrow.stream': { type: 'string', format: 'binary' },
});

/** What each route does and answers, by `METHOD /path`; a route missing here fails the document. */
export const OPERATIONS: Record<string, { readonly summary: string; readonly answers: readonly SuccessAnswer[] }> = {
  'GET /health': { summary: 'Health of every store', answers: [ok('every store answers', ref('Health')), ok('a store fails', ref('Health'), 503)] },
  'GET /health/live': { summary: 'Liveness (asks no store)', answers: [ok('the process serves HTTP', obj({ status: str }))] },
  'GET /metrics': { summary: 'Prometheus metrics', answers: [{ status: 200, description: 'Prometheus text exposition', content: { 'text/plain': str } }] },
  'GET /openapi.json': { summary: 'This document', answers: [ok('OpenAPI 3.1', { type: 'object' })] },
  'GET /docs': { summary: 'This document as a page to read (no script, no network)', answers: [{ status: 200, description: 'HTML', content: { 'text/html': str } }] },
  'GET /v1/datasets': { summary: 'List datasets', answers: [ok('every dataset', arr(ref('Dataset')))] },
  'GET /v1/datasets/{name}': { summary: 'One dataset, with its lake partition by partition (files, bytes, small files)', answers: [ok('the dataset', ref('DatasetWithLake'))] },
  'PUT /v1/datasets/{name}': {
    summary: 'Declare a dataset',
    answers: [ok('declared', { allOf: [ref('Dataset'), obj({ created: bool })] }, 201), ok('already declared identically', { allOf: [ref('Dataset'), obj({ created: bool })] })],
  },
  'POST /v1/datasets/{name}/rows': { summary: 'Push rows into a dataset (the lake)', answers: [ok('rows checked and stored; bad rows reported in `errors`', ref('RowsResult'))] },
  'POST /v1/feature-views': { summary: 'Apply a feature view definition', answers: [ok('a new view or version', ref('ApplyOutcome'), 201), ok('a known definition (metadata may have changed)', ref('ApplyOutcome'))] },
  'GET /v1/feature-views': { summary: 'Latest version of each view', answers: [ok('the views', arr(ref('ViewSummary')))] },
  'GET /v1/feature-views/{name}': { summary: 'A view and its versions', answers: [ok('the view', ref('View'))] },
  'GET /v1/feature-views/{name}/versions/{version}': { summary: 'One version: definition, digest, materialisation', answers: [ok('the version', ref('ViewVersion'))] },
  'GET /v1/feature-views/{name}/versions/{version}/runs': { summary: 'Runs that consumed this version', answers: [ok('the runs', arr(ref('VersionRun')))] },
  'POST /v1/feature-views/{name}/versions/{version}/materialize': {
    summary: 'Materialise a version over a range',
    answers: [ok('the job runs', ref('JobStarted'), 202), ok('nothing was left to do', ref('JobStarted'))],
  },
  'GET /v1/feature-views/{name}/versions/{version}/stats': {
    summary: 'Statistics of a version\'s features (kept by every materialisation; exact over `start`..`end` when given)',
    answers: [ok('per feature: count, nulls, mean, std, min, max, quantiles, histogram or value counts', ref('FeatureViewStats'))],
  },
  'GET /v1/datasets/{name}/summary': { summary: 'Per-key ranges and gaps, batches and quarantined rows of a dataset', answers: [ok('the summary (at most 5000 keys, the largest first)', ref('DatasetSummary'))] },
  'GET /v1/jobs': { summary: 'The newest materialisation jobs first', answers: [ok('the jobs', obj({ jobs: arr(ref('Job')) }))] },
  'GET /v1/feature-views/{name}/versions/{version}/series': { summary: 'One key\'s feature values over time, from the offline store', answers: [ok('the series', ref('FeatureSeries'))] },
  'GET /v1/lineage': { summary: 'The lineage graph: datasets → view versions → training sets → runs', answers: [ok('every node and edge', ref('LineageGraph'))] },
  'GET /ui': { summary: 'The catalog UI (one self-contained page; its data comes from the API with the caller\'s key)', answers: [{ status: 200, description: 'HTML', content: { 'text/html': str } }] },
  'GET /v1/jobs/{id}': { summary: 'A materialisation job', answers: [ok('the job', ref('Job'))] },
  'GET /v1/entities': { summary: 'List entities', answers: [ok('the entities', arr(ref('Entity')))] },
  'POST /v1/entities': { summary: 'Apply an entity', answers: [ok('new', ref('Applied'), 201), ok('known', ref('Applied'))] },
  'POST /v1/feature-services': { summary: 'Apply a feature service', answers: [ok('new version', ref('Applied'), 201), ok('known', ref('Applied'))] },
  'GET /v1/feature-services/{name}': { summary: 'A feature service', answers: [ok('the latest version', ref('FeatureService'))] },
  'POST /v1/training-sets': { summary: 'Build a point-in-time training set', answers: [{ status: 200, description: 'the rows, by Accept (binary answers carry X-Training-Set-Id and X-Training-Set-Digest)', content: tableAnswer(ref('TrainingSetRows')) }] },
  'GET /v1/training-sets/{id}': { summary: 'A training set\'s manifest', answers: [ok('the manifest', ref('TrainingSetManifest'))] },
  'POST /v1/training-sets/{id}/recreate': { summary: 'Compute a training set again as of its knownAt (same digest)', answers: [ok('the new set\'s manifest', ref('TrainingSetManifest'), 201)] },
  'GET /v1/training-sets/{id}/diff': { summary: 'How a training set\'s feature values differ at a later knownAt', answers: [ok('per feature column, the values that changed, with examples', ref('TrainingSetDiff'))] },
  'GET /v1/training-sets/{id}/stats': { summary: 'A training set\'s profile, per column (computed when it was created)', answers: [ok('per column: count, nulls, mean, std, min, max, quantiles, histogram or value counts', ref('TrainingSetStats'))] },
  'GET /v1/training-sets/{id}/data': { summary: 'A training set\'s rows again', answers: [{ status: 200, description: 'the rows, by Accept', content: tableAnswer(ref('TrainingSetData')) }] },
  'POST /v1/runs': { summary: 'Link a run to training sets (idempotent)', answers: [ok('linked', ref('RunLinked'))] },
  'GET /v1/runs/{runId}': { summary: 'A run\'s lineage', answers: [ok('its training sets and feature versions', ref('RunLineage'))] },
  'POST /v1/online-features': { summary: 'Latest feature values of a few entities', answers: [ok('one row per entity, with event time and status per value', ref('OnlineFeatures'))] },
  'POST /get-online-features': { summary: 'Feast: online lookup', answers: [ok('Feast\'s column-major answer', ref('FeastOnlineFeatures'))] },
  'POST /push': { summary: 'Feast: push rows to a view or a dataset', answers: [ok('pushed', ref('PushResult'))] },
  'POST /write-to-online-store': { summary: 'Feast: write a view\'s values online', answers: [ok('written (the body is `null`)', { type: 'null' })] },
  'GET /v1/feature-views/{name}/versions/{version}/drift': {
    summary: 'Drift of a version against a reference training set: PSI, KS and null rates per feature over the last window',
    answers: [ok('the figures per feature the reference holds', ref('DriftReport'))],
  },
  'GET /v1/feature-views/{name}/versions/{version}/consistency': {
    summary: 'Online rows of some keys against the offline rows of the same event time',
    answers: [ok('the keys checked and their mismatches', ref('ConsistencyReport'))],
  },
  'POST /v1/monitors': { summary: 'Register a drift monitor (evaluated now and after each materialisation)', answers: [ok('registered', ref('Monitor'), 201)] },
  'GET /v1/monitors': { summary: 'Every drift monitor with its last evaluation', answers: [ok('the monitors', obj({ monitors: arr(ref('Monitor')) }))] },
  'GET /v1/monitors/{id}': { summary: 'One drift monitor', answers: [ok('the monitor', ref('Monitor'))] },
  'DELETE /v1/monitors/{id}': { summary: 'Remove a drift monitor', answers: [{ status: 204, description: 'removed' }] },
  'GET /v1/audit': { summary: 'The audit trail, in pages', answers: [ok('a page; `next` is the cursor of the following one', ref('AuditPage'))] },
  'GET /v1/keys': { summary: 'The keys of the keys file (never a hash)', answers: [ok('the keys', arr(ref('Key')))] },
};
