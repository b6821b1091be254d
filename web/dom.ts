/** Children el() accepts: nodes, text, or nothing (skipped). */
export type Child = Node | string | number | null | undefined | false;

/** Creates an element with attributes (`on…` functions become listeners) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value as EventListener);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Appends children, text as text nodes (never parsed as HTML). */
export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** A table with a header row and one row per item. */
export function table(headers: string[], rows: Child[][], attrs: Record<string, unknown> = {}): HTMLTableElement {
  return el('table', attrs, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
}

/** A two-column table of facts (label, value), without a header row. */
export function facts(rows: Array<[string, Child]>, attrs: Record<string, unknown> = {}): HTMLTableElement {
  return el('table', { class: 'facts', ...attrs }, el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v)))));
}

/** A link to a hash route. */
export function link(route: string, text: Child, attrs: Record<string, unknown> = {}): HTMLAnchorElement {
  return el('a', { href: `#${route}`, ...attrs }, text);
}

/** A notice that something is not there (yet), as the pages show for routes that answer 404. */
export function notAvailable(what: string): HTMLElement {
  return el('p', { class: 'na', 'data-testid': 'not-available' }, `${what}: not available`);
}

/** Numbers as people read them (up to 6 significant digits), null as a dash. */
export function fmt(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(6).replace(/\.?0+$/, '');
  return String(v);
}
