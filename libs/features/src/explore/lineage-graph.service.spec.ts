import type { DatasetSchema } from '../datasets/dataset.schema';
import type { ViewRecord, ViewVersionRecord } from '../registry/definition.repository';
import type { MaterializationState } from '../registry/materialization.repository';
import type { RunLink } from '../registry/run.repository';
import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import { LineageGraphService, type LineageSources } from './lineage-graph.service';

// The registry's answers, in memory: a dataset, a view with two versions (one materialised), a
// label view, a training set using v2 and the label view, two runs on it, and a view on an
// undeclared dataset (no dangling edge may come of it).
const version = (name: string, v: number, source: string, kind?: 'label'): ViewVersionRecord =>
  ({ name, version: v, digest: `${name}${v}`, createdAt: '2024-01-01T00:00:00Z', definition: { source, kind } }) as unknown as ViewVersionRecord;
const versions: Record<string, ViewVersionRecord[]> = {
  returns: [version('returns', 1, 'bars_1d'), version('returns', 2, 'bars_1d')],
  fwd: [version('fwd', 1, 'bars_1d', 'label')],
  orphan: [version('orphan', 1, 'nowhere')],
};
const set = { id: 'tset-1', rowCount: 10, createdAt: '2024-02-01T00:00:00Z', knownAt: '2024-02-01T00:00:00Z', features: [{ view: 'returns', version: 2, feature: 'ret_1d' }, { view: 'returns', version: 2, feature: 'ret_5d' }], labels: [{ view: 'fwd', version: 1, label: 'fwd_ret_1d' }] } as unknown as TrainingSetManifest;
const link = (runId: string, system: string): RunLink => ({ runId, trainingSetId: 'tset-1', system, tags: {}, linkedAt: '2024-02-02T00:00:00Z' });

function sources(): LineageSources {
  return {
    datasets: { listDatasets: async () => [{ name: 'bars_1d' } as DatasetSchema] },
    definitions: { listViews: async () => Object.keys(versions).map((name) => ({ name }) as ViewRecord), listViewVersions: async (name) => versions[name] },
    materializations: { getMaterialization: async (name, v) => (name === 'returns' && v === 1 ? ({ rows: 42 } as MaterializationState) : undefined) },
    trainingSets: { listTrainingSets: async () => [set] },
    runs: { allRunLinks: async () => [link('run-a', 'mlflow'), link('run:b', 'unknown')] },
  };
}

describe('LineageGraphService', () => {
  it('links datasets → view versions → training sets (features and labels) → runs, once per pair, without dangling edges', async () => {
    const graph = await new LineageGraphService(sources(), undefined).graph();
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(
      ['dataset:bars_1d', 'view-version:returns@1', 'view-version:returns@2', 'view-version:fwd@1', 'view-version:orphan@1', 'training-set:tset-1', 'run:run-a', 'run:run:b'].sort(),
    );
    expect(graph.edges.map((e) => `${e.from} -> ${e.to}`).sort()).toEqual(
      [
        'dataset:bars_1d -> view-version:returns@1',
        'dataset:bars_1d -> view-version:returns@2',
        'dataset:bars_1d -> view-version:fwd@1',
        'view-version:returns@2 -> training-set:tset-1',
        'view-version:fwd@1 -> training-set:tset-1',
        'training-set:tset-1 -> run:run-a',
        'training-set:tset-1 -> run:run:b',
      ].sort(),
    );
    expect(graph.nodes.find((n) => n.id === 'view-version:returns@1')?.attrs).toMatchObject({ materializedRows: 42, kind: 'feature' });
    expect(graph.nodes.find((n) => n.id === 'view-version:fwd@1')?.attrs).toMatchObject({ materializedRows: null, kind: 'label' });
    expect(graph.nodes.find((n) => n.id === 'run:run-a')?.attrs.url).toBeNull();
  });

  it('links runs to their MLflow page when the UI address is known (the run id escaped)', async () => {
    const graph = await new LineageGraphService(sources(), 'http://mlflow:5000').graph();
    expect(graph.nodes.find((n) => n.id === 'run:run-a')?.attrs.url).toBe('http://mlflow:5000/#/runs/run-a');
    expect(graph.nodes.find((n) => n.id === 'run:run:b')?.attrs.url).toBe('http://mlflow:5000/#/runs/run%3Ab');
  });
});
