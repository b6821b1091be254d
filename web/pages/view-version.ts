import { ApiError, api, optional } from '../api';
import { lineDiff } from '../diff';
import { el, facts, fmt, link, notAvailable, table } from '../dom';
import { timeSeriesPlot } from '../plot';
import type { DatasetSummary, Series, ViewHistory, ViewVersion } from '../types';
import { statsSection } from './stats';

/**
 * One view version: definition, the SQL diff against the previous version, materialisation
 * state, online freshness for a few keys, statistics (when the server has them) and a plot of
 * any features for one key and range, read from the offline store.
 */
export async function viewVersionPage(main: HTMLElement, [name, v]: string[], query: URLSearchParams): Promise<void> {
  const version = Number(v);
  const base = `/v1/feature-views/${encodeURIComponent(name)}`;
  const [history, record] = await Promise.all([api<ViewHistory>(base), api<ViewVersion>(`${base}/versions/${version}`)]);
  const previous = history.versions.filter((x) => x.version < version).at(-1);
  const before = previous ? await api<ViewVersion>(`${base}/versions/${previous.version}`) : null;
  const summary = await optional<DatasetSummary>(`/v1/datasets/${encodeURIComponent(record.definition.source)}/summary`);
  const keys = summary?.keys.map((k) => Object.values(k.key)[0]) ?? [];
  const keyColumn = summary?.keys[0] ? Object.keys(summary.keys[0].key)[0] : record.definition.entity;
  const m = record.materialized;

  main.append(
    el('h1', {}, `${name} `, el('span', { 'data-testid': 'version' }, `v${version}`)),
    el('p', {}, 'Versions: ', ...history.versions.map((x) => el('span', {}, x.version === version ? el('strong', {}, `v${x.version}`) : link(`/views/${name}/${x.version}`, `v${x.version}`), ' ')), ' · ', link(`/lineage?node=${encodeURIComponent(`view-version:${name}@${version}`)}`, 'lineage')),
    el(
      'div',
      { class: 'row' },
      facts(
        [
          ['entity', record.definition.entity],
          ['source', link(`/datasets/${record.definition.source}`, record.definition.source)],
          ['kind', record.definition.kind ?? 'feature'],
          ['ttl', String(record.definition.ttl ?? '–')],
          ['owner', record.metadata.owner ?? '–'],
          ['tags', Object.entries(record.metadata.tags ?? {}).map(([k, t]) => `${k}:${t}`).join(' ') || '–'],
          ['digest', el('code', {}, record.digest.slice(0, 16))],
          ['created', record.createdAt],
        ],
      ),
      el(
        'div',
        {},
        el('h2', {}, 'Materialisation'),
        m
          ? facts([['rows', el('span', { 'data-testid': 'materialized-rows' }, fmt(m.rows))], ['from', m.start ?? '–'], ['to', m.end ?? '–'], ['updated', m.updatedAt ?? '–'], ['revised rows', fmt(m.revisedRows ?? 0)]], { 'data-testid': 'materialization' })
          : el('p', { class: 'na', 'data-testid': 'materialization' }, 'not materialised yet'),
      ),
    ),
    el('h2', {}, 'Features'),
    table(['feature', 'type', 'description'], record.definition.features.map((f) => [f.name, f.type, f.description ?? '']), { 'data-testid': 'features' }),
    el('h2', {}, 'SQL', previous ? ` (diff against v${previous.version})` : ''),
    sqlBlock(record.definition.sql, before?.definition.sql ?? null),
  );
  main.append(el('h2', {}, 'Online freshness'), await freshness(name, version, record, keyColumn, keys.slice(0, 10)));
  main.append(el('h2', {}, 'Statistics'), await statsSection(`${base}/versions/${version}/stats`));
  main.append(el('h2', {}, 'Plot (offline store)'), plotSection(name, version, record, keys, query));
}

function sqlBlock(sql: string, before: string | null): HTMLElement {
  if (before === null) return el('pre', { 'data-testid': 'sql' }, sql);
  const lines = lineDiff(before, sql);
  return el('pre', { class: 'diff', 'data-testid': 'sql-diff', 'data-added': lines.filter((l) => l.op === '+').length, 'data-removed': lines.filter((l) => l.op === '-').length }, ...lines.map((l) => el('div', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : '' }, `${l.op} ${l.text}`)));
}

// The newest online row of each key: its event time, age and status (TTL counted from now).
async function freshness(name: string, version: number, record: ViewVersion, keyColumn: string, keys: string[]): Promise<HTMLElement> {
  if (keys.length === 0) return el('p', { class: 'na' }, 'no keys to look up');
  const feature = record.definition.features[0].name;
  try {
    const answer = await api<{ rows: Array<Record<string, unknown>>; metadata: Array<{ eventTimestamps: Record<string, string | null>; statuses: Record<string, string> }> }>('/v1/online-features', {
      method: 'POST',
      body: { features: [`${name}@${version}:${feature}`], entities: { [keyColumn]: keys } },
    });
    const now = Date.now();
    return table(
      ['key', 'event time', 'age', 'status'],
      answer.rows.map((_, i) => {
        const meta = answer.metadata[i];
        const ts = Object.values(meta.eventTimestamps)[0] ?? null;
        return [keys[i], ts ?? '–', ts ? `${fmt((now - Date.parse(ts)) / 86_400_000)} d` : '–', Object.values(meta.statuses)[0] ?? '–'];
      }),
      { 'data-testid': 'freshness' },
    );
  } catch (e) {
    if (e instanceof ApiError && e.status !== 401) return el('p', { class: 'na', 'data-testid': 'freshness' }, `not served online: ${e.message}`);
    throw e;
  }
}

function plotSection(name: string, version: number, record: ViewVersion, keys: string[], query: URLSearchParams): HTMLElement {
  const symbol = el('select', { 'data-testid': 'plot-symbol' }, ...keys.map((k) => el('option', { value: k, selected: k === query.get('symbol') }, k)));
  const chosen = new Set((query.get('features') ?? record.definition.features[0].name).split(','));
  const boxes = record.definition.features.map((f) => el('label', { class: 'check' }, el('input', { type: 'checkbox', value: f.name, checked: chosen.has(f.name) }), ` ${f.name}`));
  const start = el('input', { type: 'date', 'data-testid': 'plot-start', value: query.get('start') ?? '' });
  const end = el('input', { type: 'date', 'data-testid': 'plot-end', value: query.get('end') ?? '' });
  const out = el('div', { 'data-testid': 'plot-area' });
  const draw = async () => {
    const features = boxes.map((b) => b.querySelector('input')!).filter((i) => i.checked).map((i) => i.value);
    const params = new URLSearchParams({ symbol: symbol.value, features: features.join(',') });
    if (start.value) params.set('start', start.value);
    if (end.value) params.set('end', `${end.value}T23:59:59Z`);
    out.replaceChildren(el('p', { class: 'na' }, 'loading…'));
    try {
      const series = await api<Series>(`/v1/feature-views/${encodeURIComponent(name)}/versions/${version}/series?${params}`);
      out.replaceChildren(
        series.ts.length ? timeSeriesPlot(series, Math.min(1200, document.body.clientWidth - 60)) : el('p', { class: 'na', 'data-testid': 'series-plot', 'data-points': 0 }, 'no offline rows for this key and range (materialise the version first)'),
        el('p', {}, `${fmt(series.ts.length)} points${series.truncated ? ' (truncated)' : ''}`),
      );
    } catch (e) {
      out.replaceChildren(el('p', { class: 'error' }, e instanceof ApiError ? `${e.status} ${e.code}: ${e.message}` : String(e)));
    }
  };
  const controls = el('div', { class: 'controls' }, el('label', {}, 'key', symbol), el('label', {}, 'from', start), el('label', {}, 'to', end), el('button', { 'data-testid': 'plot-button', onclick: () => void draw() }, 'Plot'));
  if (keys.length) void draw();
  return el('div', {}, controls, el('div', { class: 'controls' }, ...boxes), keys.length ? out : notAvailable('Keys of the source dataset'));
}
