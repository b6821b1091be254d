import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbRegistry, type FeatureViewDefinition, type LeaseOwner, type NewBatchRecord } from '@app/features';

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

describe('LmdbRegistry aggregates (a real LMDB file)', () => {
  let dir: string;
  let registry: LmdbRegistry;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'registry-'));
    registry = LmdbRegistry.open(join(dir, 'registry'));
  });
  afterEach(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records batches in seq order, once each, and lists those after a seq', async () => {
    const a = await registry.datasets.recordBatch(batch('id-a', 'b1'));
    const b = await registry.datasets.recordBatch(batch('id-b', 'b2'));
    expect([a.seq, b.seq]).toEqual([1, 2]);
    // A recovery finishing the same commit again takes no new seq.
    expect(await registry.datasets.recordBatch(batch('id-b', 'b2'))).toEqual(b);
    expect(await registry.datasets.lastBatchSeq('bars_1d')).toBe(2);
    // The same content ingested again by force is a new batch under a new seq, listed once.
    const c = await registry.datasets.recordBatch(batch('id-a', 'b3'));
    expect(c.seq).toBe(3);
    expect((await registry.datasets.batchesAfter('bars_1d', 0)).map((x) => x.batchId)).toEqual(['b2', 'b3']);
    expect((await registry.datasets.batchesAfter('bars_1d', 2)).map((x) => x.batchId)).toEqual(['b3']);
    expect(await registry.datasets.batchesAfter('bars_1d', 3)).toEqual([]);
    expect(await registry.datasets.findBatch('bars_1d', 'id-a')).toEqual(c);
    expect(await registry.datasets.lastBatchSeq('other')).toBe(0);
  });

  it('hands out strictly increasing batch times on a clock that ties', async () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const first = await registry.datasets.nextIngestedAt('bars_1d', now);
    const second = await registry.datasets.nextIngestedAt('bars_1d', now);
    expect(second.getTime()).toBe(first.getTime() + 1);
  });

  it('gives one version per digest and moves the generation only when a definition is recorded', async () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const g0 = await registry.definitions.definitionsGeneration();
    const v1 = await registry.definitions.applyView(view('SELECT 1'), 'd1', now);
    expect(v1).toMatchObject({ created: true, version: { version: 1 } });
    const g1 = await registry.definitions.definitionsGeneration();
    expect(g1).toBe(g0 + 1);
    // Metadata alone makes no version and leaves resolved references valid.
    expect(await registry.definitions.applyView(view('SELECT 1', 'described'), 'd1', now)).toMatchObject({ created: false, metadataChanged: true, version: { version: 1 } });
    expect(await registry.definitions.definitionsGeneration()).toBe(g1);
    expect(await registry.definitions.applyView(view('SELECT 2'), 'd2', now)).toMatchObject({ created: true, version: { version: 2 } });
    expect(await registry.definitions.definitionsGeneration()).toBe(g1 + 1);
    expect(await registry.definitions.getView('returns')).toMatchObject({ latest: 2 });
    expect((await registry.definitions.listViewVersions('returns')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('indexes a run under every feature version its training set used, once', async () => {
    const link = { runId: 'run-1', trainingSetId: 'ts-1', system: 'mlflow', tags: {}, linkedAt: '2026-01-01T00:00:00.000Z' };
    const versions = [
      { view: 'returns', version: 1 },
      { view: 'vol', version: 3 },
    ];
    await registry.runs.linkRun(link, versions);
    await registry.runs.linkRun({ ...link, linkedAt: '2026-02-01T00:00:00.000Z' }, versions);
    expect(await registry.runs.runLinks('run-1')).toEqual([link]);
    expect(await registry.runs.runsOfVersion('returns', 1)).toEqual([link]);
    expect(await registry.runs.runsOfVersion('vol', 3)).toEqual([link]);
    expect(await registry.runs.runsOfVersion('vol', 2)).toEqual([]);
  });

  it('refuses a lease held by a live owner and gives it up only for its holder', async () => {
    const a: LeaseOwner = { pid: 1, instance: 'a', since: '2026-01-01T00:00:00.000Z' };
    const b: LeaseOwner = { pid: 2, instance: 'b', since: '2026-01-01T00:00:00.000Z' };
    expect(await registry.materializations.acquireLease('m', a, () => true)).toBeNull();
    expect(await registry.materializations.acquireLease('m', b, () => true)).toEqual(a);
    await registry.materializations.releaseLease('m', b);
    expect(await registry.materializations.acquireLease('m', b, () => true)).toEqual(a);
    expect(await registry.materializations.acquireLease('m', b, () => false)).toBeNull();
  });
});
