import { api, optional } from '../api';
import { el, facts, fmt, link, notAvailable, table } from '../dom';
import type { Dataset, DatasetSummary } from '../types';

/** Every dataset with its range and batches. */
export async function datasetsPage(main: HTMLElement): Promise<void> {
  const datasets = await api<Dataset[]>('/v1/datasets');
  main.append(
    el('h1', {}, `Datasets (${datasets.length})`),
    table(
      ['dataset', 'keys', 'timestamp', 'calendar', 'rows', 'from', 'to', 'batches'],
      datasets.map((d) => [link(`/datasets/${d.name}`, d.name), d.keys.join(', '), d.timestampColumn, d.calendar ?? '–', fmt(d.rows), d.minTs ?? '–', d.maxTs ?? '–', fmt(d.batches)]),
      { 'data-testid': 'datasets' },
    ),
  );
}

/** One dataset: columns, per-key ranges and gaps, batches and quarantined rows. */
export async function datasetPage(main: HTMLElement, [name]: string[]): Promise<void> {
  const [d, summary] = await Promise.all([api<Dataset>(`/v1/datasets/${encodeURIComponent(name)}`), optional<DatasetSummary>(`/v1/datasets/${encodeURIComponent(name)}/summary`)]);
  main.append(
    el('h1', {}, `Dataset ${d.name}`),
    el('div', { class: 'row' },
      facts([['rows', el('span', { 'data-testid': 'dataset-rows' }, fmt(d.rows))], ['from', d.minTs ?? '–'], ['to', d.maxTs ?? '–'], ['batches', fmt(d.batches)], ['keys', d.keys.join(', ')], ['calendar', d.calendar ?? '–'], ['quarantined rows', summary ? el('span', { 'data-testid': 'quarantined' }, fmt(summary.quarantinedRows)) : '–']]),
      table(['column', 'type'], d.columns.map((c) => [c.name, c.type])),
    ),
  );
  if (!summary) return void main.append(notAvailable('Per-key summary'));
  main.append(
    el('h2', {}, `Keys (${summary.keyCount})`),
    el('p', {}, 'A gap is a step between two bars longer than 3 times the key\'s median step (weekends of daily bars are not gaps; long holidays may be).'),
    table(['key', 'rows', 'from', 'to', 'gaps', 'longest step'], summary.keys.map((k) => [Object.values(k.key).join(', '), fmt(k.rows), k.minTs, k.maxTs, fmt(k.gaps), k.longestStepSeconds === null ? '–' : `${fmt(k.longestStepSeconds / 86400)} d`]), { 'data-testid': 'dataset-keys' }),
    el('h2', {}, `Batches (${summary.batches.length})`),
    table(['seq', 'batch', 'source', 'rows', 'quarantined', 'committed'], summary.batches.map((b) => [fmt(b.seq), el('code', {}, b.batchId), b.source, fmt(b.rows), b.rejected ? el('span', { class: 'alert' }, fmt(b.rejected)) : '0', b.committedAt]), { 'data-testid': 'dataset-batches' }),
  );
}
