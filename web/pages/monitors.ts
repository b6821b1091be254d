import { ApiError, optional } from '../api';
import { el, fmt, link, notAvailable, table } from '../dom';
import type { Monitor } from '../types';

/** Drift monitors and their last evaluation (the issue-17 monitor contract; "not available" on a server without it). */
export async function monitorsPage(main: HTMLElement): Promise<void> {
  main.append(el('h1', {}, 'Drift monitors'));
  let answer: { monitors: Monitor[] } | null;
  try {
    answer = await optional<{ monitors: Monitor[] }>('/v1/monitors');
  } catch (e) {
    if (e instanceof ApiError && e.status === 405) answer = null;
    else throw e;
  }
  if (!answer) return void main.append(notAvailable('Drift monitors'));
  if (answer.monitors.length === 0) return void main.append(el('p', { class: 'na' }, 'No monitor yet (POST /v1/monitors).'));
  main.append(
    table(
      ['monitor', 'view version', 'reference', 'window', 'PSI alert', 'last evaluated', 'state'],
      answer.monitors.map((m) => [
        el('code', {}, m.id),
        link(`/views/${m.view}/${m.version}`, `${m.view} v${m.version}`),
        link(`/training-sets/${m.reference}`, m.reference),
        m.window,
        fmt(m.psiAlert),
        m.last?.evaluatedAt ?? '–',
        m.last ? el('span', { class: m.last.alert ? 'alert' : 'ok' }, m.last.alert ? 'ALERT' : 'ok') : '–',
      ]),
      { 'data-testid': 'monitors' },
    ),
  );
  for (const m of answer.monitors.filter((x) => x.last)) {
    main.append(
      el('h2', {}, `${m.id}: ${m.view} v${m.version} against ${m.reference}`),
      table(
        ['feature', 'PSI', 'KS', 'null rate (reference)', 'null rate (current)', 'alert'],
        m.last!.features.map((f) => [f.name, fmt(f.psi), fmt(f.ks), fmt(f.referenceNullRate), fmt(f.currentNullRate), f.alert ? el('span', { class: 'alert' }, 'ALERT') : '']),
      ),
    );
  }
}
