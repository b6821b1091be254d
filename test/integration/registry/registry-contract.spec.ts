import type { DatasetSchema, FeatureViewDefinition, JobRecord, LeaseOwner, MonitorRecord, NewAuditEntry, NewBatchRecord, Registry, RegistryDump, RegistryRecord, TrainingSetManifest } from '@app/features';
import { InvalidArgumentError } from '@app/features';
import { lmdbDriver, postgresDriver, type RegistryDriver } from '../../support/registry-drivers';
import { expectEventually } from '../../support/wait';

// A read on the other handle: PostgreSQL answers at once; lmdb-js renews another handle's read
// snapshot only on a later tick, so the write shows up there soon, not necessarily at once.
const seen = (check: () => Promise<void>) => expectEventually(check, 2000, 10);

// The same behaviour from both registry drivers: the embedded LMDB one and PostgreSQL (a real
// server per file). Expectations come from the repositories' documented contracts, not from
// either driver's output; "two handles" stand for two processes sharing the registry.

const batch = (identity: string, batchId: string): NewBatchRecord => ({
  batchId,
  dataset: 'bars_1d',
  identity,
  source: 'test',
  rows: 1,
  rejected: 0,
  files: [`bars_1d/date=2026-01-01/${batchId}.parquet`],
  ingestedAt: '2026-01-01T00:00:00.000Z',
  committedAt: '2026-01-01T00:00:00.000Z',
});

const schema = (name: string, column = 'close'): DatasetSchema => ({ name, keys: ['symbol'], timestampColumn: 'ts', columns: [{ name: column, type: 'DOUBLE' }] });

const view = (sql: string, description = ''): FeatureViewDefinition => ({
  name: 'returns',
  entity: 'instrument',
  source: 'bars_1d',
  timestampColumn: 'ts',
  ttl: null,
  sql,
  features: [{ name: 'r', type: 'DOUBLE' }],
  lookback: null,
  stream: false,
  description,
  owner: '',
  tags: {},
});

const auditEntry = (keyId: string, at: string, target = 'bars_1d'): NewAuditEntry => ({ at, keyId, route: 'POST /v1/datasets/:name/rows', targets: [target], counts: { accepted: 2 }, outcome: 'accepted', status: 200 });

const job = (jobId: string): JobRecord => ({ jobId, kind: 'materialize', view: 'returns', version: 1, status: 'queued', rows: 0, start: null, end: null, createdAt: jobId, updatedAt: jobId });

const manifest = (id: string): TrainingSetManifest => ({
  id,
  digest: `d-${id}`,
  entityDigest: 'e',
  rowCount: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  pointInTime: 'event',
  timestampColumn: 'ts',
  features: [{ view: 'returns', version: 1, feature: 'r' }],
  columns: ['symbol', 'ts', 'returns__r'],
  file: `${id}.parquet`,
});

const monitor = (id: string): MonitorRecord => ({ id, view: 'returns', version: 1, reference: 'ts-1', window: '30d', psiAlert: 0.2, createdAt: '2026-01-01T00:00:00.000Z', last: null });

async function collect(dump: RegistryDump): Promise<RegistryRecord[]> {
  const out: RegistryRecord[] = [];
  for await (const r of dump.dump()) out.push(r);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Writes a little of every aggregate (used by the export/import round trip). */
async function fill(r: Registry): Promise<void> {
  await r.datasets.putDataset(schema('bars_1d'), true);
  await r.datasets.recordBatch(batch('id-a', 'b1'));
  await r.datasets.nextIngestedAt('bars_1d', new Date('2026-01-01T00:00:00Z'));
  await r.definitions.putEntity({ name: 'instrument', joinKeys: ['symbol'], description: '' });
  await r.definitions.applyView(view('SELECT 1'), 'd1', new Date('2026-01-01T00:00:00Z'));
  await r.materializations.setMaterialization('returns', 1, { start: 'a', end: 'b', rows: 3, updatedAt: 'c', sourceSeq: 1, revisedRows: 0, keys: 2 });
  await r.trainingSets.putTrainingSet(manifest('ts-1'));
  await r.runs.linkRun({ runId: 'run-1', trainingSetId: 'ts-1', system: 'mlflow', tags: { a: 'b' }, linkedAt: 'x' }, [{ view: 'returns', version: 1 }]);
  await r.runs.putOutbox({ sink: 'mlflow', runId: 'run-1', trainingSetId: 'ts-1', attempts: 0, nextAttemptAt: 'x' });
  await r.jobs.putJob(job('2026-01-01-a'));
  await r.streams.setWatermark('bars/0', '42');
  await r.streams.addPendingRefresh('online', { 'returns@1|BTC-USD': '2026-01-02T00:00:00.000Z' });
  await r.meta.setMeta('samples', { symbols: 3 });
  await r.audit.append(auditEntry('alice', '2026-01-01T00:00:00.000Z'));
  await r.monitors.putMonitor(monitor('m1'));
}

describe.each([['lmdb', lmdbDriver()] as const, ['postgres', postgresDriver()] as const])('registry contract: %s', (_name, driver: RegistryDriver) => {
  const open: Array<Registry> = [];
  const handles = async (n: number) => {
    const home = await driver.fresh();
    const out: Array<Registry & RegistryDump> = [];
    for (let i = 0; i < n; i++) out.push(await home.open());
    open.push(...out);
    return out;
  };
  beforeAll(() => driver.setup(), 60_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  afterAll(() => driver.teardown());

  it('records batches in seq order, once each, and datasets once when asked', async () => {
    const [r, other] = await handles(2);
    const a = await r.datasets.recordBatch(batch('id-a', 'b1'));
    const b = await other.datasets.recordBatch(batch('id-b', 'b2'));
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(await r.datasets.recordBatch(batch('id-b', 'b2'))).toEqual(b);
    const c = await other.datasets.recordBatch(batch('id-a', 'b3'));
    expect(c.seq).toBe(3);
    expect((await r.datasets.batchesAfter('bars_1d', 0)).map((x) => x.batchId)).toEqual(['b2', 'b3']);
    expect((await r.datasets.batchesAfter('bars_1d', 2)).map((x) => x.batchId)).toEqual(['b3']);
    expect(await r.datasets.batchesAfter('bars_1d', 3)).toEqual([]);
    expect(await r.datasets.findBatch('bars_1d', 'id-a')).toEqual(c);
    expect((await r.datasets.listBatches('bars_1d')).map((x) => x.batchId)).toEqual(['b3', 'b2']);
    expect(await r.datasets.lastBatchSeq('bars_1d')).toBe(3);
    expect(await r.datasets.lastBatchSeq('other')).toBe(0);
    // Many batches at once from two handles: seqs 4..23, each once.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? r : other).datasets.recordBatch(batch(`id-${i}`, `m${i}`))));
    expect(many.map((x) => x.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));
    // The first declaration wins when both ask "only if absent" at once.
    const [s1, s2] = await Promise.all([r.datasets.putDataset(schema('ds', 'close'), true), other.datasets.putDataset(schema('ds', 'open'), true)]);
    expect(s1).toEqual(s2);
    expect(await r.datasets.getDataset('ds')).toEqual(s1);
    expect((await other.datasets.listDatasets()).map((d) => d.name)).toEqual(['ds']);
  });

  it('renames the files of batches a compaction replaced, every batch naming them, and no other', async () => {
    const [r, other] = await handles(2);
    const files = (i: number) => (i % 3 === 0 ? [`bars_1d/date=2024-01/f${i}.parquet`, `bars_1d/date=2024-02/g${i}.parquet`] : [`bars_1d/date=2024-02/f${i}.parquet`]);
    for (let i = 0; i < 60; i++) await r.datasets.recordBatch({ ...batch(`c-${i}`, `cb${i}`), files: files(i) });
    await r.datasets.recordBatch({ ...batch('x', 'other-dataset'), dataset: 'other', files: ['other/date=2024-02/f1.parquet'] });
    // Every file of February but those of batches 0..9 goes into two compacted files.
    const replaced = new Map<string, string[]>();
    for (let i = 10; i < 60; i++) for (const f of files(i).filter((f) => f.includes('2024-02'))) replaced.set(f, ['bars_1d/date=2024-02/c-0.parquet', 'bars_1d/date=2024-02/c-1.parquet']);
    replaced.set('bars_1d/date=2024-02/f1.parquet', ['bars_1d/date=2024-02/c-0.parquet']);
    const changed = await other.datasets.replaceBatchFiles('bars_1d', replaced);
    const expected = (i: number) => [...new Set(files(i).flatMap((f) => replaced.get(f) ?? [f]))];
    const stored = new Map((await r.datasets.listBatches('bars_1d')).map((b) => [b.batchId, b.files]));
    for (let i = 0; i < 60; i++) expect({ i, files: stored.get(`cb${i}`) }).toEqual({ i, files: expected(i) });
    expect(changed).toBe(Array.from({ length: 60 }, (_, i) => i).filter((i) => JSON.stringify(expected(i)) !== JSON.stringify(files(i))).length);
    expect((await r.datasets.listBatches('other'))[0].files).toEqual(['other/date=2024-02/f1.parquet']);
    // Done again: nothing changes.
    expect(await r.datasets.replaceBatchFiles('bars_1d', replaced)).toBe(0);
  });

  it('hands out strictly increasing batch times across handles on a clock that ties', async () => {
    const [a, b] = await handles(2);
    const now = new Date('2026-01-01T00:00:00.000Z');
    const times = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).datasets.nextIngestedAt('bars_1d', now)));
    expect(times.map((t) => t.getTime()).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => now.getTime() + i));
  });

  it('gives one version per digest, also to two handles applying at once, and moves the generation everywhere', async () => {
    const [a, b] = await handles(2);
    const now = new Date('2026-01-01T00:00:00.000Z');
    const g0 = await a.definitions.definitionsGeneration();
    const [x, y] = await Promise.all([a.definitions.applyView(view('SELECT 1'), 'd1', now), b.definitions.applyView(view('SELECT 1'), 'd1', now)]);
    expect([x.version.version, y.version.version]).toEqual([1, 1]);
    expect([x.created, y.created].sort()).toEqual([false, true]);
    expect(await a.definitions.definitionsGeneration()).toBe(g0 + 1);
    expect(await a.definitions.applyView(view('SELECT 1', 'described'), 'd1', now)).toMatchObject({ created: false, metadataChanged: true, version: { version: 1 } });
    expect(await a.definitions.definitionsGeneration()).toBe(g0 + 1);
    expect(await b.definitions.applyView(view('SELECT 2'), 'd2', now)).toMatchObject({ created: true, version: { version: 2 } });
    await seen(async () => expect(await b.definitions.definitionsGeneration()).toBe(g0 + 2));
    // The other handle learns of it within a second (the online path's cache check).
    await expectEventually(async () => expect(await a.definitions.definitionsGeneration()).toBe(g0 + 2), 1000, 20);
    expect(await a.definitions.getView('returns')).toMatchObject({ latest: 2, metadata: { description: '' } });
    expect((await a.definitions.listViewVersions('returns')).map((v) => v.version)).toEqual([1, 2]);
    expect((await a.definitions.getViewVersion('returns', 2))?.definition.sql).toBe('SELECT 2');
    const entity = { name: 'instrument', joinKeys: ['symbol'], description: '' };
    expect(await a.definitions.putEntity(entity)).toEqual({ created: true });
    expect(await b.definitions.putEntity(entity)).toEqual({ created: false });
    await seen(async () => expect(await b.definitions.listEntities()).toEqual([entity]));
    const service = { name: 'svc', features: ['returns:r'], description: '', owner: '', tags: {} };
    const s1 = await a.definitions.applyService(service, 's1', now);
    expect(s1.created).toBe(true);
    expect((await b.definitions.applyService(service, 's1', now)).created).toBe(false);
    await seen(async () => expect(await b.definitions.getService('svc')).toEqual(s1.version));
    expect(await a.definitions.definitionsGeneration()).toBe(g0 + 4);
  });

  it('keeps materialisation state and one lease holder across two handles', async () => {
    const [a, b] = await handles(2);
    const state = { start: '2026-01-01', end: '2026-02-01', rows: 10, updatedAt: 'now', sourceSeq: 4, revisedRows: 0, keys: 2 };
    await a.materializations.setMaterialization('returns', 1, state);
    await seen(async () => expect(await b.materializations.getMaterialization('returns', 1)).toEqual(state));
    await seen(async () => expect(await b.materializations.getMaterialization('returns', 2)).toBeUndefined());
    const ownerA: LeaseOwner = { pid: 1, instance: 'a', since: '2026-01-01T00:00:00.000Z' };
    const ownerB: LeaseOwner = { pid: 2, instance: 'b', since: '2026-01-01T00:00:00.000Z' };
    expect(await a.materializations.acquireLease('m', ownerA, () => true)).toBeNull();
    expect(await b.materializations.acquireLease('m', ownerB, () => true)).toEqual(ownerA);
    await b.materializations.releaseLease('m', ownerB);
    expect(await b.materializations.acquireLease('m', ownerB, () => true)).toEqual(ownerA);
    // Another name is another lease.
    expect(await b.materializations.acquireLease('n', ownerB, () => true)).toBeNull();
    await a.materializations.releaseLease('m', ownerA);
    expect(await b.materializations.acquireLease('m', ownerB, () => true)).toBeNull();
    expect(await a.materializations.acquireLease('m', ownerA, () => true)).toEqual(ownerB);
  });

  it('stores training-set manifests, run links both ways and the outbox', async () => {
    const [a, b] = await handles(2);
    for (const id of ['ts-2', 'ts-1', 'ts-3']) await a.trainingSets.putTrainingSet(manifest(id));
    await seen(async () => expect((await b.trainingSets.listTrainingSets()).map((m) => m.id)).toEqual(['ts-1', 'ts-2', 'ts-3']));
    await seen(async () => expect(await b.trainingSets.getTrainingSet('ts-2')).toEqual(manifest('ts-2')));
    const link = { runId: 'run-1', trainingSetId: 'ts-1', system: 'mlflow', tags: {}, linkedAt: '2026-01-01T00:00:00.000Z' };
    const versions = [{ view: 'returns', version: 1 }, { view: 'vol', version: 3 }];
    await Promise.all([a.runs.linkRun(link, versions), b.runs.linkRun({ ...link, linkedAt: '2026-02-01T00:00:00.000Z' }, versions)]);
    const [kept] = await a.runs.runLinks('run-1');
    await seen(async () => expect(await b.runs.runsOfVersion('returns', 1)).toEqual([kept]));
    await seen(async () => expect(await b.runs.runsOfVersion('vol', 3)).toEqual([kept]));
    await seen(async () => expect(await b.runs.runsOfVersion('vol', 2)).toEqual([]));
    await seen(async () => expect(await b.runs.allRunLinks()).toEqual([kept]));
    const e1 = { sink: 'mlflow', runId: 'run-1', trainingSetId: 'ts-1', attempts: 0, nextAttemptAt: 'x' };
    const e2 = { sink: 'mlflow', runId: 'run-10', trainingSetId: 'ts-1', attempts: 0, nextAttemptAt: 'x' };
    await a.runs.putOutbox(e1);
    await a.runs.putOutbox(e2);
    await seen(async () => expect(await b.runs.listOutbox('mlflow', 'run-1')).toEqual([e1]));
    await seen(async () => expect(await b.runs.listOutbox('mlflow')).toEqual([e1, e2]));
    await seen(async () => expect(await b.runs.listOutbox('other')).toEqual([]));
    const settled = { sink: 'mlflow', runId: 'run-1', trainingSetId: 'ts-1', status: 'logged' as const, attempts: 1, settledAt: 'y' };
    await b.runs.settleOutbox(e1, settled);
    expect(await a.runs.listOutbox()).toEqual([e2]);
    expect(await a.runs.deliveries('mlflow', 'run-1')).toEqual([settled]);
    await a.runs.removeOutbox(e2);
    await seen(async () => expect(await b.runs.listOutbox()).toEqual([]));
  });

  it('lists jobs newest first, keeps meta and monitors (a deleted monitor stays deleted)', async () => {
    const [a, b] = await handles(2);
    for (const id of ['2026-01-01-a', '2026-01-03-c', '2026-01-02-b']) await a.jobs.putJob(job(id));
    await a.jobs.putJob({ ...job('2026-01-02-b'), status: 'running' });
    await seen(async () => expect((await b.jobs.listJobs(2)).map((j) => j.jobId)).toEqual(['2026-01-03-c', '2026-01-02-b']));
    await seen(async () => expect((await b.jobs.getJob('2026-01-02-b'))?.status).toBe('running'));
    await seen(async () => expect(await b.jobs.getJob('nope')).toBeUndefined());
    await a.meta.setMeta('samples', { symbols: ['BTC-USD'], n: 2 });
    await seen(async () => expect(await b.meta.getMeta('samples')).toEqual({ symbols: ['BTC-USD'], n: 2 }));
    await seen(async () => expect(await b.meta.getMeta('none')).toBeUndefined());
    await a.monitors.putMonitor(monitor('m2'));
    await a.monitors.putMonitor(monitor('m1'));
    const last = { evaluatedAt: 'now', windowStart: null, windowEnd: null, alert: false, features: [] };
    await b.monitors.setLast('m1', last);
    expect(await a.monitors.getMonitor('m1')).toEqual({ ...monitor('m1'), last });
    expect((await a.monitors.listMonitors()).map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(await b.monitors.deleteMonitor('m2')).toBe(true);
    expect(await b.monitors.deleteMonitor('m2')).toBe(false);
    await a.monitors.setLast('m2', last);
    expect(await a.monitors.getMonitor('m2')).toBeUndefined();
  });

  it('keeps watermarks and pending refreshes (earlier start wins, n counts, clear compares n)', async () => {
    const [a, b] = await handles(2);
    await a.streams.setWatermarks({ 'bars/0': '10', 'bars/1': '20' });
    await a.streams.setWatermark('bars/0', '11');
    await seen(async () => expect([await b.streams.getWatermark('bars/0'), await b.streams.getWatermark('bars/1'), await b.streams.getWatermark('bars/2')]).toEqual(['11', '20', undefined]));
    const k = 'returns@1|BTC-USD';
    await a.streams.addPendingRefresh('online', { [k]: '2026-01-05T00:00:00.000Z', 'returns@1|ETH-USD': '2026-01-05T00:00:00.000Z' });
    // Read on the writing handle: lmdb-js renews another handle's read snapshot only on a later tick.
    const read = await a.streams.getPendingRefresh('online');
    expect(read[k]).toEqual({ since: '2026-01-05T00:00:00.000Z', n: 1 });
    expect(await b.streams.addPendingRefresh('online', { [k]: '2026-01-02T00:00:00.000Z' })).toEqual({ [k]: { since: '2026-01-02T00:00:00.000Z', n: 2 } });
    await expect(a.streams.addPendingRefresh('online', { 'returns@1|SOL-USD': '2026-01-02T00:00:00.000Z', [k]: 'not a time' })).rejects.toThrow(InvalidArgumentError);
    // BTC was added again after `read`: clearing with the old n keeps it; ETH goes.
    await a.streams.clearPendingRefresh('online', read);
    await seen(async () => expect(await b.streams.getPendingRefresh('online')).toEqual({ [k]: { since: '2026-01-02T00:00:00.000Z', n: 2 } }));
    await seen(async () => expect(await b.streams.getPendingRefresh('other')).toEqual({}));
    // Concurrent additions from two handles: every addition counted.
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).streams.addPendingRefresh('online', { [k]: '2026-01-03T00:00:00.000Z' })));
    expect((await a.streams.getPendingRefresh('online'))[k]).toEqual({ since: '2026-01-02T00:00:00.000Z', n: 12 });
  });

  it('gives one strictly increasing audit seq across two handles appending at once, and filters pages', async () => {
    const [a, b] = await handles(2);
    const appended = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).audit.append(auditEntry(i % 3 ? 'alice' : 'ci-bot', `2026-01-${String((i % 28) + 1).padStart(2, '0')}T00:00:00.000Z`, `ds${i}`))));
    const seqs = appended.map((e) => e.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const listed = await b.audit.list({ limit: 1000 });
    expect(listed).toEqual([...appended].sort((x, y) => x.seq - y.seq));
    // The reference: the same filters applied in plain TypeScript to what was appended.
    const since = new Date('2026-01-10T00:00:00Z');
    const expected = listed.filter((e) => e.keyId === 'ci-bot' && Date.parse(e.at) >= since.getTime() && e.seq > 5).slice(0, 4);
    expect(await a.audit.list({ keyId: 'ci-bot', since, after: 5, limit: 4 })).toEqual(expected);
    expect(await a.audit.list({ after: 40, limit: 10 })).toEqual([]);
  });

  it('exports every record and imports them into the other driver unchanged (a round trip)', async () => {
    const [source] = await handles(1);
    await fill(source);
    const records = await collect(source);
    expect(new Set(records.map((r) => r.aggregate)).size).toBe(10);
    const other = driver.name === 'lmdb' ? postgresDriver() : lmdbDriver();
    await other.setup();
    try {
      const target = await (await other.fresh()).open();
      const back = await (await driver.fresh()).open();
      try {
        expect(await target.isEmpty()).toBe(true);
        expect(await target.load(records)).toBe(records.length);
        expect(await target.isEmpty()).toBe(false);
        expect(await collect(target)).toEqual(records);
        await back.load(target.dump());
        expect(await collect(back)).toEqual(records);
        // The moved registry goes on where it stopped: the next seqs follow the imported ones.
        expect((await target.audit.append(auditEntry('bob', '2026-02-01T00:00:00.000Z'))).seq).toBe(2);
        expect((await target.datasets.recordBatch(batch('id-z', 'bz'))).seq).toBe(2);
        expect(await target.definitions.applyView(view('SELECT 1'), 'd1', new Date())).toMatchObject({ created: false, version: { version: 1 } });
      } finally {
        await target.close();
        await back.close();
      }
    } finally {
      await other.teardown();
    }
  });
});
