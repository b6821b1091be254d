import { defineEntity, defineFeatureService, defineFeatureView, type FeatureViewDefinition } from '../../definitions/feature-definition';
import { StreamViewSetup, type StreamViewDefinitions } from './stream-view-setup';

const entity = defineEntity({ name: 'symbol', joinKeys: ['symbol'] });
const view = (name: string, source: string, stream: boolean): FeatureViewDefinition =>
  defineFeatureView({ name, entity: 'symbol', source, stream, sql: 'SELECT symbol, ts, close AS px FROM source', features: [{ name: 'px', type: 'DOUBLE' }] });
const catalog = {
  entities: [entity],
  views: [view('fast', 'bars', true), view('batchy', 'bars', false), view('elsewhere', 'other', true)],
  services: [defineFeatureService({ name: 'signals', features: ['fast:px', 'batchy@1:px'] }), defineFeatureService({ name: 'mixed', features: ['fast:px', 'elsewhere:px'] })],
};

// A registry of definitions in memory: what the setup applies and materialises is recorded.
function world(datasets: string[], registered: FeatureViewDefinition[] = [], materialized: string[] = [], run?: () => Promise<void>) {
  const views = new Map(registered.map((v) => [v.name, { def: v, version: 1 }]));
  const entities = new Set<string>();
  const services = new Set<string>();
  const runs: string[] = [];
  const definitions: StreamViewDefinitions = {
    list: async () => [...views.values()].map(({ def, version }) => ({ name: def.name, version, source: def.source }) as never),
    getVersion: async (name: string, version: number) => ({ definition: views.get(name)!.def, materialized: materialized.includes(`${name}@${version}`) ? {} : null }) as never,
    listEntities: async () => [...entities].map((name) => ({ name }) as never),
    applyEntity: async (e: unknown) => {
      entities.add((e as { name: string }).name);
      return { name: '', created: true };
    },
    apply: async (v: unknown) => {
      views.set((v as FeatureViewDefinition).name, { def: v as FeatureViewDefinition, version: 1 });
      return {} as never;
    },
    applyService: async (s: unknown) => {
      services.add((s as { name: string }).name);
      return { name: '', version: 1, created: true };
    },
    getService: async (name: string) => {
      if (!services.has(name)) throw new Error('no such service');
      return {} as never;
    },
  };
  const materializer = {
    run: async ({ view: name, version }: { view: string; version?: number }) => {
      await run?.();
      runs.push(`${name}@${version}`);
      materialized.push(`${name}@${version}`);
    },
  };
  const setup = new StreamViewSetup(definitions, materializer, { getDataset: async (name: string) => (datasets.includes(name) ? ({} as never) : undefined) }, catalog);
  return { setup, views, entities, services, runs, datasets };
}

describe('the stream views of a fresh data folder', () => {
  it('waits for the dataset, then applies the catalog views over it and materialises the stream ones', async () => {
    const w = world([]);
    const failures: string[] = [];
    expect(await w.setup.ensure('bars', (what) => failures.push(what))).toEqual([]);
    expect(w.views.size).toBe(0);
    w.datasets.push('bars');
    expect(await w.setup.ensure('bars', (what) => failures.push(what))).toEqual(['fast@1']);
    expect([...w.views.keys()].sort()).toEqual(['batchy', 'fast']);
    expect([...w.entities]).toEqual(['symbol']);
    // Only the service built on this dataset's views.
    expect([...w.services]).toEqual(['signals']);
    expect(w.runs).toEqual(['fast@1']);
    expect(failures).toEqual([]);
  });

  it('changes nothing registered, and materialises a stream view that has no materialisation', async () => {
    const mine = { ...view('fast', 'bars', true), sql: 'SELECT symbol, ts, open AS px FROM source' };
    const w = world(['bars'], [mine, view('other_stream', 'bars', true), view('done', 'bars', true)], ['done@1']);
    expect((await w.setup.ensure('bars', () => undefined)).sort()).toEqual(['fast@1', 'other_stream@1']);
    expect(w.views.get('fast')!.def.sql).toBe(mine.sql);
    expect(w.runs).not.toContain('done@1');
  });

  it('reports a failed materialisation and pauses before trying it again', async () => {
    let fail = true;
    const run = jest.fn(async () => {
      if (fail) throw new Error('being materialised by process 1');
    });
    const w = world(['bars'], [view('fast', 'bars', true)], [], run);
    const failures: string[] = [];
    expect(await w.setup.ensure('bars', (what, message) => failures.push(`${what}: ${message}`))).toEqual([]);
    expect(failures).toEqual(['fast@1: being materialised by process 1']);
    fail = false;
    // Within the pause: not tried again.
    expect(await w.setup.ensure('bars', () => undefined)).toEqual([]);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
