import { api } from '../api';
import { el, link } from '../dom';
import { lineageSvg, neighbourhood } from '../lineage-svg';
import type { LineageGraph, LineageNode } from '../types';

/**
 * Lineage: dataset → view versions → training sets → runs. With `?node=<id>` only that node's
 * lineage both ways (what it was made from, what was made from it); a run links to MLflow when
 * the server knows MLflow's UI address (MLFLOW_UI_URL).
 */
export async function lineagePage(main: HTMLElement, _params: string[], query: URLSearchParams): Promise<void> {
  const full = await api<LineageGraph>('/v1/lineage');
  const focus = query.get('node');
  const graph = focus && full.nodes.some((n) => n.id === focus) ? neighbourhood(full, focus) : full;
  const href = (n: LineageNode): string | null => {
    if (n.kind === 'run') return typeof n.attrs.url === 'string' ? n.attrs.url : null;
    if (n.kind === 'dataset') return `#/datasets/${n.attrs.name}`;
    if (n.kind === 'view-version') return `#/views/${n.attrs.view}/${n.attrs.version}`;
    return `#/training-sets/${n.attrs.trainingSetId}`;
  };
  const select = el('select', { 'data-testid': 'lineage-focus' }, el('option', { value: '' }, 'the whole graph'), ...full.nodes.map((n) => el('option', { value: n.id, selected: n.id === focus }, `${n.kind}: ${n.label}`)));
  select.addEventListener('change', () => (location.hash = select.value ? `#/lineage?node=${encodeURIComponent(select.value)}` : '#/lineage'));
  const counts = (kind: LineageNode['kind']) => graph.nodes.filter((n) => n.kind === kind).length;
  main.append(
    el('h1', {}, 'Lineage'),
    el('div', { class: 'controls' }, el('label', {}, 'lineage of (both directions)', select), focus ? link('/lineage', 'show everything') : null),
    el(
      'p',
      { class: 'legend', 'data-testid': 'lineage-counts', 'data-nodes': graph.nodes.length, 'data-edges': graph.edges.length },
      el('span', {}, `${counts('dataset')} datasets`),
      el('span', {}, `${counts('view-version')} view versions`),
      el('span', {}, `${counts('training-set')} training sets`),
      el('span', {}, `${counts('run')} runs`),
      el('span', {}, `${graph.edges.length} edges`),
    ),
    graph.nodes.length ? el('div', { style: 'overflow:auto' }, lineageSvg(graph, href, focus)) : el('p', { class: 'na' }, 'nothing yet'),
  );
}
