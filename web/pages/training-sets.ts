import { api, download } from '../api';
import { el, facts, fmt, link, table } from '../dom';
import type { LineageGraph, Manifest } from '../types';
import { statsSection } from './stats';

// What GET /v1/training-sets/{id}/data answers, by Accept.
const FORMATS: Array<[string, string, string]> = [
  ['Parquet', 'application/vnd.apache.parquet', 'parquet'],
  ['CSV', 'text/csv', 'csv'],
  ['Arrow IPC', 'application/vnd.apache.arrow.stream', 'arrow'],
  ['JSON', 'application/json', 'json'],
];

/** Every training set (from the lineage graph, which lists them with their runs). */
export async function trainingSetsPage(main: HTMLElement): Promise<void> {
  const graph = await api<LineageGraph>('/v1/lineage');
  const sets = graph.nodes.filter((n) => n.kind === 'training-set').sort((a, b) => String(b.attrs.createdAt).localeCompare(String(a.attrs.createdAt)));
  const runsOf = (id: string) => graph.edges.filter((e) => e.from === id).map((e) => e.to.replace(/^run:/, ''));
  const inputsOf = (id: string) => graph.edges.filter((e) => e.to === id).map((e) => e.from.replace(/^view-version:/, ''));
  main.append(
    el('h1', {}, `Training sets (${sets.length})`),
    table(
      ['training set', 'rows', 'created', 'knownAt', 'view versions', 'runs'],
      sets.map((s) => [link(`/training-sets/${s.attrs.trainingSetId}`, s.label), fmt(s.attrs.rows), String(s.attrs.createdAt), String(s.attrs.knownAt ?? '–'), inputsOf(s.id).join(', '), runsOf(s.id).join(', ')]),
      { 'data-testid': 'training-sets' },
    ),
  );
}

/** One training set: its manifest, knownAt, statistics (when the server has them) and downloads. */
export async function trainingSetPage(main: HTMLElement, [id]: string[]): Promise<void> {
  const path = `/v1/training-sets/${encodeURIComponent(id)}`;
  const m = await api<Manifest>(path);
  const status = el('span', { 'data-testid': 'download-status' });
  main.append(
    el('h1', {}, `Training set ${m.id}`),
    facts(
      [
        ['rows', el('span', { 'data-testid': 'tset-rows' }, fmt(m.rowCount))],
        ['knownAt', el('span', { 'data-testid': 'tset-known-at' }, m.knownAt ?? '–')],
        ['created', m.createdAt],
        ['point in time', m.pointInTime],
        ['timestamp column', m.timestampColumn],
        ['digest', el('code', {}, m.digest)],
        ['lineage', link(`/lineage?node=${encodeURIComponent(`training-set:${m.id}`)}`, 'both directions')],
      ],
    ),
    el('h2', {}, 'Download'),
    el('div', { class: 'controls' }, ...FORMATS.map(([label, accept, ext]) => el('button', { 'data-format': ext, onclick: () => void save(`${path}/data`, accept, `${m.id}.${ext}`, status) }, label)), status),
    el('h2', {}, 'Features'),
    table(['view', 'version', 'feature'], m.features.map((f) => [link(`/views/${f.view}/${f.version}`, f.view), `v${f.version}`, f.feature]), { 'data-testid': 'tset-features' }),
    ...(m.labels?.length ? [el('h2', {}, 'Labels'), table(['view', 'version', 'label'], m.labels.map((l) => [link(`/views/${l.view}/${l.version}`, l.view), `v${l.version}`, l.label]))] : []),
    el('h2', {}, `Columns (${m.columns.length})`),
    el('p', {}, m.columns.join(', ')),
    el('h2', {}, 'Statistics'),
    await statsSection(`${path}/stats`),
  );
}

async function save(path: string, accept: string, filename: string, status: HTMLElement): Promise<void> {
  status.textContent = `downloading ${filename}…`;
  try {
    await download(path, accept, filename);
    status.textContent = `downloaded ${filename}`;
  } catch (e) {
    status.textContent = String(e);
  }
}
