import { api } from '../api';
import { el, fmt, link, table } from '../dom';
import type { Job } from '../types';

/** Materialisation jobs started through the API, newest first. */
export async function jobsPage(main: HTMLElement): Promise<void> {
  const { jobs } = await api<{ jobs: Job[] }>('/v1/jobs?limit=200');
  main.append(
    el('h1', {}, `Jobs (${jobs.length})`),
    jobs.length === 0
      ? el('p', { class: 'na' }, 'No materialisation job was started through the API yet (POST /v1/feature-views/{name}/versions/{v}/materialize).')
      : table(
          ['job', 'view version', 'status', 'rows', 'range', 'created', 'updated', 'error'],
          jobs.map((j) => [el('code', {}, j.jobId), link(`/views/${j.view}/${j.version}`, `${j.view} v${j.version}`), el('span', { class: j.status === 'failed' ? 'alert' : j.status === 'succeeded' ? 'ok' : '' }, j.status), fmt(j.rows), `${j.start ?? '–'} → ${j.end ?? '–'}`, j.createdAt, j.updatedAt, j.error ?? '']),
          { 'data-testid': 'jobs' },
        ),
  );
}
