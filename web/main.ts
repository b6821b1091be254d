import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ApiError, forgetKey, storeKey, storedKey } from './api';
import { el, link } from './dom';
import { catalogPage } from './pages/catalog';
import { datasetPage, datasetsPage } from './pages/datasets';
import { jobsPage } from './pages/jobs';
import { lineagePage } from './pages/lineage';
import { monitorsPage } from './pages/monitors';
import { trainingSetPage, trainingSetsPage } from './pages/training-sets';
import { viewVersionPage } from './pages/view-version';

/** A page: renders into `main` from the route's parameters and query. */
type Page = (main: HTMLElement, params: string[], query: URLSearchParams) => Promise<void>;

// Hash routes: the server serves one page at /ui; everything after # is the client's.
const ROUTES: Array<[RegExp, Page]> = [
  [/^\/?$/, catalogPage],
  [/^\/views\/([^/]+)\/(\d+)$/, viewVersionPage],
  [/^\/lineage$/, lineagePage],
  [/^\/datasets$/, datasetsPage],
  [/^\/datasets\/([^/]+)$/, datasetPage],
  [/^\/training-sets$/, trainingSetsPage],
  [/^\/training-sets\/([^/]+)$/, trainingSetPage],
  [/^\/jobs$/, jobsPage],
  [/^\/monitors$/, monitorsPage],
];

const NAV: Array<[string, string]> = [
  ['/', 'Catalog'],
  ['/datasets', 'Datasets'],
  ['/lineage', 'Lineage'],
  ['/training-sets', 'Training sets'],
  ['/jobs', 'Jobs'],
  ['/monitors', 'Drift monitors'],
];

let rendering = 0;

async function render(): Promise<void> {
  const ticket = ++rendering;
  const [path, search = ''] = decodeURIComponent(location.hash.replace(/^#/, '')).split('?');
  const main = el('main', { 'data-testid': 'page', 'aria-busy': 'true' });
  const shell = document.getElementById('app')!;
  shell.replaceChildren(header(path), main);
  const match = ROUTES.map(([re, page]) => [re.exec(path || '/'), page] as const).find(([m]) => m !== null);
  try {
    if (!match) main.append(el('p', {}, `No page ${path}`));
    else await match[1](main, match[0]!.slice(1), new URLSearchParams(search));
  } catch (e) {
    if (ticket !== rendering) return;
    if (e instanceof ApiError && e.status === 401) return askForKey(main, e.message);
    main.append(el('p', { class: 'error', 'data-testid': 'error' }, e instanceof ApiError ? `${e.status} ${e.code}: ${e.message}` : String(e)));
  } finally {
    main.setAttribute('aria-busy', 'false');
    // Tests and people wait on this: the page has its data.
    if (ticket === rendering) document.body.dataset.ready = path || '/';
  }
}

function header(path: string): HTMLElement {
  const current = '/' + (path.split('/')[1] ?? '');
  return el(
    'header',
    {},
    el('strong', {}, 'Feature store'),
    el('nav', {}, ...NAV.map(([route, label]) => link(route, label, { class: route === current || (route === '/' && current === '/views') ? 'current' : undefined }))),
    storedKey() ? el('button', { class: 'link', onclick: () => (forgetKey(), void render()) }, 'forget key') : null,
  );
}

// Access control is on: ask once, keep the key for this tab (sessionStorage), and render again.
function askForKey(main: HTMLElement, reason: string): void {
  const input = el('input', { type: 'password', name: 'key', autocomplete: 'off', placeholder: 'fsk_…', 'data-testid': 'key-input', size: 40 });
  const form = el(
    'form',
    { class: 'key', 'data-testid': 'key-form' },
    el('h2', {}, 'This feature store needs an API key'),
    el('p', {}, 'A key with the read scope (kept for this browser tab only). ', storedKey() ? `The key given was refused: ${reason}` : ''),
    input,
    el('button', { type: 'submit' }, 'Use key'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    storeKey(input.value);
    void render();
  });
  main.replaceChildren(form);
  input.focus();
}

window.addEventListener('hashchange', () => void render());
void render();
