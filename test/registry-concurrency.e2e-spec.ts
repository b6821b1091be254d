import { cli } from './support/processes';
import { spawn } from 'node:child_process';
import { FeatureStore, applyCatalog, marketCatalog, type LeaseOwner } from '@app/features';
import { SAMPLE_CSV, openStore, tempDataDir } from './support/helpers';


describe('the registry shared by two processes', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let store: FeatureStore;
  beforeEach(async () => {
    tmp = tempDataDir();
    expect((await cli(tmp.dir, ['file', SAMPLE_CSV, '--symbol', 'BTC-USD', '--interval', '1d'])).code).toBe(0);
    store = await openStore(tmp.dir);
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('gives one version to the same definition applied by two processes at once', async () => {
    const [cliRun] = await Promise.all([cli(tmp.dir, ['apply']), applyCatalog(store.features, marketCatalog)]);
    expect(cliRun.code).toBe(0);
    for (const view of marketCatalog.views) {
      const history = await store.features.get(view.name);
      expect({ view: view.name, versions: history.versions.map((v) => v.version) }).toEqual({ view: view.name, versions: [1] });
    }
  });

  it('lets only one live process materialise a version; a dead holder does not block', async () => {
    await applyCatalog(store.features, marketCatalog);
    const sleeper = spawn('sleep', ['30']);
    const holder: LeaseOwner = { pid: sleeper.pid!, instance: 'other-process', since: new Date().toISOString() };
    const alive = (h: LeaseOwner) => {
      try {
        process.kill(h.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(await store.registry.materializations.acquireLease('materialize/returns@1', holder, alive)).toBeNull();
    await expect(store.materializer.run({ view: 'returns' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/being materialised by process/) });
    const blocked = await cli(tmp.dir, ['materialize', 'returns']);
    expect(blocked.code).toBe(1);
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.on('exit', r));
    const result = await store.materializer.run({ view: 'returns' });
    expect(result.rows).toBe(92);
  });

  it('makes a training set wait for another live process materialising a version it reads (a second API replica), instead of a 409', async () => {
    await applyCatalog(store.features, marketCatalog);
    const sleeper = spawn('sleep', ['30']);
    const holder: LeaseOwner = { pid: sleeper.pid!, instance: 'other-replica', since: new Date().toISOString() };
    try {
      expect(await store.registry.materializations.acquireLease('materialize/returns@1', holder, () => true)).toBeNull();
      const started = Date.now();
      const set = store.trainingSets.create({ features: { features: ['returns:ret_1d'] }, entities: { kind: 'rows', rows: [{ symbol: 'BTC-USD', ts: '2021-04-12T12:00:00Z' }] }, pointInTime: 'event', timestampColumn: 'ts', runId: null });
      setTimeout(() => void store.registry.materializations.releaseLease('materialize/returns@1', holder), 600);
      const created = await set;
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(created.rowCount).toBe(1);
      // The explicit materialisation still answers CONFLICT at once while another process holds the lease.
      expect(await store.registry.materializations.acquireLease('materialize/returns@1', holder, () => true)).toBeNull();
      await expect(store.materializer.run({ view: 'returns' })).rejects.toMatchObject({ code: 'CONFLICT' });
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
