import type { DatasetRepository } from '../registry/dataset.repository';
import type { DefinitionRepository } from '../registry/definition.repository';
import type { MaterializationRepository } from '../registry/materialization.repository';
import type { RunRepository } from '../registry/run.repository';
import type { TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';

export type LineageNodeKind = 'dataset' | 'view-version' | 'training-set' | 'run';

/** One node of the lineage graph; `id` is `<kind>:<name>` (`view-version:returns@1`). */
export interface LineageNode {
  readonly id: string;
  readonly kind: LineageNodeKind;
  readonly label: string;
  /** Kind-specific facts the UI shows (view, version, rows, createdAt, system, url). */
  readonly attrs: Readonly<Record<string, string | number | boolean | null>>;
}

/** Data flows from `from` to `to` (dataset → view version → training set → run). */
export interface LineageEdge {
  readonly from: string;
  readonly to: string;
}

export interface LineageGraph {
  readonly nodes: LineageNode[];
  readonly edges: LineageEdge[];
}

/** What the graph reads from the registry. */
export interface LineageSources {
  readonly datasets: Pick<DatasetRepository, 'listDatasets'>;
  readonly definitions: Pick<DefinitionRepository, 'listViews' | 'listViewVersions'>;
  readonly materializations: Pick<MaterializationRepository, 'getMaterialization'>;
  readonly trainingSets: Pick<TrainingSetManifestRepository, 'listTrainingSets'>;
  readonly runs: Pick<RunRepository, 'allRunLinks'>;
}

/**
 * The whole lineage graph from the registry alone: datasets feed view versions (their source),
 * view versions feed training sets (features and labels), training sets feed runs. A run links
 * to its MLflow page when an MLflow UI address is configured.
 */
export class LineageGraphService {
  constructor(
    private readonly sources: LineageSources,
    private readonly mlflowUiUrl: string | undefined,
  ) {}

  /** Every node and edge; edges only between nodes that exist (a view on an undeclared dataset keeps no dangling edge). */
  async graph(): Promise<LineageGraph> {
    const nodes = new Map<string, LineageNode>();
    const edges = new Map<string, LineageEdge>();
    const add = (node: LineageNode) => nodes.set(node.id, node);
    const link = (from: string, to: string) => edges.set(`${from}\u0000${to}`, { from, to });

    for (const d of await this.sources.datasets.listDatasets()) add({ id: datasetId(d.name), kind: 'dataset', label: d.name, attrs: { name: d.name } });
    for (const view of await this.sources.definitions.listViews()) {
      for (const v of await this.sources.definitions.listViewVersions(view.name)) {
        const state = await this.sources.materializations.getMaterialization(v.name, v.version);
        const id = versionId(v.name, v.version);
        add({ id, kind: 'view-version', label: `${v.name} v${v.version}`, attrs: { view: v.name, version: v.version, kind: v.definition.kind ?? 'feature', materializedRows: state?.rows ?? null, createdAt: v.createdAt } });
        link(datasetId(v.definition.source), id);
      }
    }
    for (const t of await this.sources.trainingSets.listTrainingSets()) {
      const id = `training-set:${t.id}`;
      add({ id, kind: 'training-set', label: t.id, attrs: { trainingSetId: t.id, rows: t.rowCount, createdAt: t.createdAt, knownAt: t.knownAt ?? null } });
      for (const f of [...t.features, ...(t.labels ?? [])]) link(versionId(f.view, f.version), id);
    }
    for (const r of await this.sources.runs.allRunLinks()) {
      const id = `run:${r.runId}`;
      const url = this.mlflowUiUrl ? `${this.mlflowUiUrl}/#/runs/${encodeURIComponent(r.runId)}` : null;
      add({ id, kind: 'run', label: r.runId, attrs: { runId: r.runId, system: r.system, url } });
      link(`training-set:${r.trainingSetId}`, id);
    }
    return { nodes: [...nodes.values()], edges: [...edges.values()].filter((e) => nodes.has(e.from) && nodes.has(e.to)) };
  }
}

function datasetId(name: string): string {
  return `dataset:${name}`;
}

function versionId(view: string, version: number): string {
  return `view-version:${view}@${version}`;
}
