import { optional } from '../api';
import { el, fmt, notAvailable, table } from '../dom';
import { histogramPlot } from '../plot';
import type { ColumnStats } from '../types';

/**
 * Per-feature statistics with a histogram (the issue-17 statistics contract). The routes may be
 * absent from this server (404): then the section says so and the rest of the page stands.
 */
export async function statsSection(path: string): Promise<HTMLElement> {
  const stats = await optional<{ rows: number; updatedAt?: string; features?: ColumnStats[]; columns?: ColumnStats[] }>(path);
  const columns = stats?.features ?? stats?.columns;
  if (!stats || !columns) return notAvailable('Statistics');
  return el(
    'div',
    { 'data-testid': 'stats' },
    el('p', {}, `${fmt(stats.rows)} rows`, stats.updatedAt ? ` · updated ${stats.updatedAt}` : ''),
    el('div', { class: 'stats-grid' }, ...columns.map(columnCard)),
  );
}

function columnCard(c: ColumnStats): HTMLElement {
  const q = c.quantiles;
  return el(
    'div',
    { 'data-testid': 'stats-column', 'data-name': c.name },
    el('strong', {}, c.name),
    ` ${c.type}`,
    table(['count', 'nulls', 'mean', 'std', 'min', 'max'], [[fmt(c.count), fmt(c.nulls), fmt(c.mean), fmt(c.std), fmt(c.min), fmt(c.max)]]),
    q ? el('div', {}, `p1 ${fmt(q.p1)} · p25 ${fmt(q.p25)} · p50 ${fmt(q.p50)} · p75 ${fmt(q.p75)} · p99 ${fmt(q.p99)}`) : null,
    c.histogram ? histogramPlot(c.histogram.edges, c.histogram.counts, 320) : null,
    c.values ? table(['value', 'count'], c.values.slice(0, 10).map((v) => [String(v.value), fmt(v.count)])) : null,
  );
}
