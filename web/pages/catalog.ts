import { api } from '../api';
import { el, fmt, link, table } from '../dom';
import type { Dataset, ViewSummary } from '../types';

/**
 * The catalog: every view's latest version and every dataset, filtered as one types (by name,
 * feature, owner or tag, `key:value` or either part). Rows are hidden, not rebuilt: 500 views
 * filter without a re-render.
 */
export async function catalogPage(main: HTMLElement, _params: string[], query: URLSearchParams): Promise<void> {
  const [views, datasets] = await Promise.all([api<ViewSummary[]>('/v1/feature-views'), api<Dataset[]>('/v1/datasets')]);
  views.sort((a, b) => a.name.localeCompare(b.name));
  const search = el('input', { type: 'search', class: 'search', placeholder: 'search views and datasets by name, feature, owner, tag', 'data-testid': 'search', value: query.get('q') ?? '' });
  const viewRows = views.map((v) => {
    const tr = el(
      'tr',
      { 'data-testid': 'view-row', 'data-name': v.name },
      el('td', {}, link(`/views/${v.name}/${v.version}`, v.name)),
      el('td', {}, `v${v.version}`),
      el('td', {}, v.entity),
      el('td', {}, link(`/datasets/${v.source}`, v.source)),
      el('td', {}, v.features.map((f) => f.name).join(', ')),
      el('td', {}, v.owner ?? ''),
      el('td', {}, ...Object.entries(v.tags ?? {}).map(([k, t]) => el('span', { class: 'tag' }, `${k}:${t}`))),
      el('td', {}, v.description ?? ''),
    );
    return { tr, text: [v.name, v.owner ?? '', v.description ?? '', ...v.features.map((f) => f.name), ...Object.entries(v.tags ?? {}).flatMap(([k, t]) => [k, t, `${k}:${t}`])].join('\n').toLowerCase() };
  });
  const datasetRows = datasets.map((d) => {
    const tr = el('tr', { 'data-testid': 'dataset-row', 'data-name': d.name }, el('td', {}, link(`/datasets/${d.name}`, d.name)), el('td', {}, d.keys.join(', ')), el('td', {}, fmt(d.rows)), el('td', {}, d.minTs ?? '–'), el('td', {}, d.maxTs ?? '–'), el('td', {}, fmt(d.batches)));
    return { tr, text: [d.name, ...d.columns.map((c) => c.name)].join('\n').toLowerCase() };
  });
  const count = el('span', { 'data-testid': 'match-count' });
  const apply = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const r of [...viewRows, ...datasetRows]) {
      const hit = words.every((w) => r.text.includes(w));
      r.tr.hidden = !hit;
      if (hit) shown++;
    }
    count.textContent = `${shown} of ${viewRows.length + datasetRows.length}`;
    history.replaceState(null, '', `#/${search.value ? `?q=${encodeURIComponent(search.value)}` : ''}`);
  };
  search.addEventListener('input', apply);
  const viewTable = el('table', { 'data-testid': 'views' }, el('thead', {}, el('tr', {}, ...['view', 'latest', 'entity', 'source', 'features', 'owner', 'tags', 'description'].map((h) => el('th', {}, h)))), el('tbody', {}, ...viewRows.map((r) => r.tr)));
  main.append(
    el('h1', {}, 'Catalog'),
    el('div', { class: 'controls' }, search, count),
    el('h2', {}, `Feature views (${views.length})`),
    viewTable,
    el('h2', {}, `Datasets (${datasets.length})`),
    table(['dataset', 'keys', 'rows', 'from', 'to', 'batches'], [], { 'data-testid': 'datasets' }),
  );
  main.querySelector('[data-testid="datasets"] tbody')!.append(...datasetRows.map((r) => r.tr));
  apply();
}
