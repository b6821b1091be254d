/**
 * Hostile values, and the JSON walking the battery derives its variants with: every node of a
 * valid-looking body by path, a copy with one node replaced, and a serializer that can write what
 * JSON.stringify cannot (duplicate keys, nesting deeper than the test's own stack).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON text written verbatim by `serialize` (a value JSON.stringify could not build). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A body template node: JSON, or raw text in its place. */
export type Node = Json | RawJson | Node[] | { [key: string]: Node };

export type JsonPath = ReadonlyArray<string | number>;

/** Strings that break string-built SQL, in every dialect the store touches (DuckDB, LMDB keys). */
export const SQL_META = [`x'; DROP TABLE bars_1d; --`, `" OR 1=1 --`, `') UNION SELECT * FROM read_csv('/etc/passwd') --`, '$1 ? %s \\ ; /* */ `x` %_'];
/** NUL, control characters, line breaks, escape sequences, a lone surrogate. */
export const CONTROL = ['a\u0000b', '\u0001\u0002\u001b[31m\u007f\u0085', 'line\r\nbreak\u2028', '\ud800'];
/** Names that climb out of a folder, on POSIX and Windows. */
export const TRAVERSAL = ['../../../../etc/passwd', '..\\..\\registry\\data.mdb', '/etc/passwd', '../lake/bars_1d'];
/** A long name (past every limit of 63 or 200 characters) and a long text (1 MB). */
export const LONG = ['n'.repeat(10_000), 'x'.repeat(1_000_000)];
/** A value of each JSON type, for replacing a node with one of another type. */
export const TYPED: readonly Json[] = [0, true, null, 'text', [], {}];
/** Elements in a huge array; depth of a deeply nested value. */
export const HUGE = 100_000;
/** Keys added to an object to make it wide (each a column of a table, a tag, a key column). */
export const WIDE = 20_000;
export const DEEP = 5_000;
export const DEEPEST = 100_000;

export function typeOf(value: Node): string {
  if (value instanceof RawJson) return 'raw';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Every node under `value` (not the root itself) with its path, in document order. */
export function nodes(value: Node, path: JsonPath = []): Array<{ path: JsonPath; value: Node }> {
  const out: Array<{ path: JsonPath; value: Node }> = [];
  const children: Array<[string | number, Node]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : value !== null && typeof value === 'object' && !(value instanceof RawJson) ? Object.entries(value) : [];
  for (const [key, child] of children) {
    out.push({ path: [...path, key], value: child });
    out.push(...nodes(child, [...path, key]));
  }
  return out;
}

/** A copy of `value` with the node at `path` replaced (the root when `path` is empty). */
export function replaceAt(value: Node, path: JsonPath, replacement: Node): Node {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  const object = value as { [key: string]: Node };
  return { ...object, [head]: replaceAt(object[head as string], rest, replacement) };
}

/** `a.b[0].c`, as the API's messages name a field. */
export function pathText(path: JsonPath): string {
  return path.reduce<string>((text, p) => (typeof p === 'number' ? `${text}[${p}]` : text ? `${text}.${p}` : p), '') || 'body';
}

/** A key written twice in the object at `at`: `extra` before (or after) the key's own value. */
export interface Duplicate {
  readonly at: JsonPath;
  readonly key: string;
  readonly extra: Node;
  readonly first: boolean;
}

/** JSON text of a template: RawJson verbatim, and optionally one duplicated key. */
export function serialize(value: Node, duplicate?: Duplicate, path: JsonPath = []): string {
  if (value instanceof RawJson) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    // A huge array repeats one element: written once.
    if (value.length > 1_000 && duplicate === undefined && value.every((v) => v === value[0])) return `[${new Array<string>(value.length).fill(serialize(value[0])).join(',')}]`;
    return `[${value.map((v, i) => serialize(v, duplicate, [...path, i])).join(',')}]`;
  }
  const here = duplicate !== undefined && samePath(duplicate.at, path);
  const entries: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const own = `${JSON.stringify(key)}:${serialize(child, duplicate, [...path, key])}`;
    if (here && key === duplicate.key) {
      const extra = `${JSON.stringify(key)}:${serialize(duplicate.extra)}`;
      entries.push(...(duplicate.first ? [extra, own] : [own, extra]));
    } else entries.push(own);
  }
  return `{${entries.join(',')}}`;
}

function samePath(a: JsonPath, b: JsonPath): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** Arrays nested `depth` deep around `inner`. */
export function nestedArrays(depth: number, inner = '1'): RawJson {
  return new RawJson(`${'['.repeat(depth)}${inner}${']'.repeat(depth)}`);
}

/** Objects nested `depth` deep (`{"a":{"a":…}}`) around `inner`. */
export function nestedObjects(depth: number, inner = '1', key = 'a'): RawJson {
  return new RawJson(`${`{"${key}":`.repeat(depth)}${inner}${'}'.repeat(depth)}`);
}
