import { CONTROL, DEEP, DEEPEST, HUGE, WIDE, LONG, RawJson, SQL_META, TRAVERSAL, TYPED, nestedArrays, nestedObjects, nodes, pathText, replaceAt, serialize, typeOf, type Json, type JsonPath, type Node } from './json-variants';
import type { RouteSpec, Scope } from './route-table';

export const KINDS = [
  'no-key',
  'wrong-key',
  'wrong-scope',
  'malformed-json',
  'wrong-types',
  'huge-arrays',
  'deep-nesting',
  'long-strings',
  'control-chars',
  'path-traversal',
  'sql-meta',
  'unknown-fields',
  'duplicate-keys',
  'malformed-table',
] as const;
export type Kind = (typeof KINDS)[number];

/** The battery's keys: one with every scope, one lacking each scope, one limited to `hb_allowed_*` names. */
export interface BatteryKeys {
  readonly admin: string;
  readonly lacking: Readonly<Record<Scope, string>>;
  readonly limited: string;
  /** A well-formed key the keys file does not hold. */
  readonly unknown: string;
}

/** One hostile request and what it must answer (any 4xx, or one of `statuses`). */
export interface HostileCase {
  readonly route: string;
  readonly kind: Kind;
  readonly what: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly statuses?: readonly number[];
  readonly feast: boolean;
}

const JSON_TYPE = { 'content-type': 'application/json' };
// Values a string field gets, by kind.
const STRING_KINDS: ReadonlyArray<[Kind, readonly string[]]> = [
  ['long-strings', LONG],
  ['control-chars', CONTROL],
  ['path-traversal', TRAVERSAL],
  ['sql-meta', SQL_META],
];
// Values a path parameter or query value gets: short enough for a URL, and no lone surrogate (it has no UTF-8).
const PARAM_KINDS: ReadonlyArray<[Kind, readonly string[]]> = [
  ['long-strings', ['n'.repeat(201), 'n'.repeat(10_000)]],
  ['control-chars', CONTROL.filter((c) => c !== '\ud800')],
  ['path-traversal', [...TRAVERSAL, '..', '.']],
  ['sql-meta', SQL_META],
];
const WRONG_VERSIONS = ['abc', '-1', '1.5', '0', '99999999999', '1e3', ' 1', '0x10', 'null', 'true', '[1]'];
// Not names (a valid one such as `null` may legitimately name a new dataset on the rows route).
const WRONG_NAMES = ['[]', '{}', ' ', '0', '-1'];
const WRONG_QUERY = ['[]', '-1', 'abc', '1e999', ''];

/** Every hostile case of one route; none for a public route that takes no input. */
export function casesOf(spec: RouteSpec, keys: BatteryKeys): HostileCase[] {
  const [method, pattern] = spec.route.split(' ');
  const feast = spec.feast === true;
  const out: HostileCase[] = [];
  const url = (params = spec.params ?? {}, query: ReadonlyArray<[string, string]> = Object.entries(spec.query ?? {})) => {
    const path = pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]));
    return query.length === 0 ? path : `${path}?${new URLSearchParams(query as Array<[string, string]>).toString()}`;
  };
  const add = (kind: Kind, what: string, parts: { url?: string; headers?: Record<string, string>; body?: string | Uint8Array; statuses?: number[]; key?: string | null }) => {
    const key = parts.key === undefined ? keys.admin : parts.key;
    const auth: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
    const body = parts.body ?? (spec.body !== undefined ? serialize(spec.body) : undefined);
    const type = body !== undefined && parts.headers === undefined ? JSON_TYPE : {};
    out.push({ route: spec.route, kind, what, method, url: parts.url ?? url(), headers: { ...auth, ...type, ...parts.headers }, body, statuses: parts.statuses, feast });
  };
  if (spec.scope === 'public') return out;

  authCases(spec, keys, add);
  for (const [name, valid] of Object.entries(spec.params ?? {})) {
    if (valid === '') throw new Error(`${spec.route}: :${name} needs a value`);
    const variants: ReadonlyArray<[Kind, readonly string[]]> = [...PARAM_KINDS, ['wrong-types', name === 'version' ? WRONG_VERSIONS : WRONG_NAMES]];
    for (const [kind, values] of variants) {
      for (const value of values) add(kind, `path :${name} = ${preview(value)}`, { url: url({ ...spec.params, [name]: value }) });
    }
  }
  if (spec.query !== undefined) queryCases(spec.query, url, add);
  for (const body of [spec.body, ...(spec.more ?? []).map((m) => m.body)]) if (body !== undefined) bodyCases(body, add);
  if (spec.table !== undefined) tableCases(spec.table, (query) => url(undefined, query), add);
  return out;
}

const TABLE_TYPES = ['text/csv', 'application/x-ndjson', 'application/vnd.apache.parquet', 'application/vnd.apache.arrow.stream', 'application/vnd.apache.arrow.file'];

/** Tables: garbage and look-alikes of each format, hostile cells and column names, hostile query options. */
function tableCases(table: NonNullable<RouteSpec['table']>, url: (query: ReadonlyArray<[string, string]>) => string, add: Add): void {
  const query = Object.entries(table.query ?? {});
  const send = (kind: Kind, what: string, body: string | Uint8Array, type = 'text/csv', at = url(query)) => add(kind, what, { url: at, body, headers: { 'content-type': type } });
  const garbage: Array<[string, string | Uint8Array]> = [
    ['bytes', Uint8Array.from([0, 1, 2, 255, 254, 0, 10, 13, 34, 39])],
    ['Parquet magic around garbage', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 7), Buffer.from('PAR1')])],
    ['Arrow magic before garbage', Buffer.concat([Buffer.from('ARROW1\0\0'), Buffer.alloc(100, 255)])],
    ['the CSV cut in half', table.csv.slice(0, table.csv.length / 2)],
    ['NDJSON with a broken line', '{"symbol": "HB"}\n{"symbol": \n'],
    ['the CSV', table.csv],
  ];
  for (const type of TABLE_TYPES) for (const [what, body] of garbage) send('malformed-table', `${what} as ${type}`, body, type);
  send('malformed-table', 'an unbalanced quote', table.csv.replace('\n', '\n"'));
  const wide = Array.from({ length: WIDE }, (_, i) => `hb_c${i}`);
  send('huge-arrays', `a CSV of ${WIDE} more columns`, `${table.csv.split('\n')[0]},${wide.join(',')}\n${table.csv.split('\n')[1]}${',1'.repeat(WIDE)}\n`);
  send('huge-arrays', `NDJSON of ${WIDE} columns`, `${JSON.stringify(Object.fromEntries(wide.map((c) => [c, 1])))}\n`, 'application/x-ndjson');
  send('huge-arrays', `a CSV of ${HUGE} rows`, `${table.csv.split('\n')[0]}\n${`${table.csv.split('\n')[1]}\n`.repeat(HUGE)}`);
  const [header, row] = table.csv.trim().split('\n');
  const cell = (v: string) => `"${v.replace(/"/g, '""')}"`;
  for (const [kind, values] of STRING_KINDS) {
    for (const value of values) {
      row.split(',').forEach((_, i) => send(kind, `CSV cell ${i} = ${preview(value)}`, `${header}\n${row.split(',').map((c, j) => (j === i ? cell(value) : c)).join(',')}\n`));
      send(kind, `CSV column name ${preview(value)}`, `${cell(value)},${header}\n${value === '' ? '' : '1,'}${row}\n`);
    }
  }
  for (const [name] of query) {
    for (const [kind, values] of [...PARAM_KINDS, ['wrong-types', WRONG_QUERY] as [Kind, readonly string[]]]) {
      for (const value of values) send(kind, `query ${name} = ${preview(value)} with a CSV frame`, table.csv, 'text/csv', url(query.map(([k, v]): [string, string] => [k, k === name ? value : v])));
    }
  }
}

type Add = (kind: Kind, what: string, parts: { url?: string; headers?: Record<string, string>; body?: string | Uint8Array; statuses?: number[]; key?: string | null }) => void;

function authCases(spec: RouteSpec, keys: BatteryKeys, add: Add): void {
  const scope = spec.scope as Scope;
  add('no-key', 'no Authorization', { key: null, statuses: [401] });
  add('no-key', 'empty Authorization', { key: null, headers: { authorization: '' }, statuses: [401] });
  add('no-key', 'the key in X-API-Key', { key: null, headers: { 'x-api-key': keys.admin }, statuses: [401] });
  if (spec.body !== undefined) add('no-key', 'no key, malformed JSON (refused before the body is read)', { key: null, body: '{"oops": ', statuses: [401] });
  const wrong: Array<[string, string]> = [
    ['a key the file does not hold', `Bearer ${keys.unknown}`],
    ['a valid key plus one character', `Bearer ${keys.admin}x`],
    ['a valid key less one character', `Bearer ${keys.admin.slice(0, -1)}`],
    ['a valid key as Basic', `Basic ${keys.admin}`],
    ['Bearer and nothing', 'Bearer '],
    ['an 8 KB key', `Bearer ${'k'.repeat(8_000)}`],
    ['two keys', `Bearer ${keys.unknown}, Bearer ${keys.admin}`],
  ];
  for (const [what, header] of wrong) add('wrong-key', what, { key: null, headers: { authorization: header }, statuses: [401] });
  add('wrong-scope', `a key without ${scope}`, { key: keys.lacking[scope], statuses: [403] });
  if (spec.limited) add('wrong-scope', 'a key limited to hb_allowed_* names', { key: keys.limited, statuses: [403] });
}

function queryCases(query: Readonly<Record<string, string>>, url: (params?: Readonly<Record<string, string>>, query?: ReadonlyArray<[string, string]>) => string, add: Add): void {
  const entries = Object.entries(query);
  const withValue = (name: string, value: string) => entries.map(([k, v]): [string, string] => [k, k === name ? value : v]);
  for (const [name] of entries) {
    for (const [kind, values] of [...PARAM_KINDS, ['wrong-types', WRONG_QUERY] as [Kind, readonly string[]]]) {
      for (const value of values) add(kind, `query ${name} = ${preview(value)}`, { url: url(undefined, withValue(name, value)) });
    }
    add('duplicate-keys', `query ${name} twice`, { url: url(undefined, [...entries, [name, '5']]) });
  }
  add('unknown-fields', 'an unknown query parameter', { url: url(undefined, [...entries, ['hb_unknown', '1']]) });
}

function bodyCases(body: Json, add: Add): void {
  const text = serialize(body);
  const raw = (kind: Kind, what: string, value: string | Uint8Array, headers?: Record<string, string>) => add(kind, what, { body: value, headers });
  const at = (kind: Kind, what: string, path: JsonPath, value: Node) => raw(kind, `${pathText(path)} = ${what}`, serialize(replaceAt(body, path, value)));

  // Malformed JSON and bodies that are not JSON at all.
  raw('malformed-json', 'cut in half', text.slice(0, Math.floor(text.length / 2)));
  raw('malformed-json', 'a trailing brace', `${text}}`);
  raw('malformed-json', 'single quotes', text.replace(/"/g, "'"));
  raw('malformed-json', 'NaN and a trailing comma', text.startsWith('[') ? '[NaN,]' : '{"a": NaN,}');
  raw('malformed-json', 'empty', '');
  raw('malformed-json', 'a NUL byte', '\u0000');
  raw('malformed-json', 'two documents', `${text} ${text}`);
  raw('malformed-json', 'invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('"}')]), { 'content-type': 'application/json' });
  raw('malformed-json', 'JSON sent as text/plain', text, { 'content-type': 'text/plain' });
  raw('malformed-json', 'JSON sent without a Content-Type', Buffer.from(text), {});
  raw('malformed-json', 'JSON as UTF-16', Buffer.from(text, 'utf16le'), { 'content-type': 'application/json; charset=utf-16' });

  const all = [{ path: [] as JsonPath, value: body as Node }, ...nodes(body)];
  for (const { path, value } of all) {
    for (const typed of TYPED) if (typeOf(typed) !== typeOf(value)) at('wrong-types', JSON.stringify(typed), path, typed);
    if (Array.isArray(value) || path.length === 0) at('huge-arrays', `${HUGE} elements`, path, new Array<Node>(HUGE).fill(Array.isArray(value) ? (value[0] ?? 'x') : value));
    if (typeof value === 'string') for (const [kind, values] of STRING_KINDS) for (const hostile of values) at(kind, preview(hostile), path, hostile);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) objectCases(value as Record<string, Json>, path, body, at, raw);
  }

  // Nesting: in place of each field, and as the whole body (deeper than any stack).
  for (const { path } of nodes(body)) at('deep-nesting', `arrays ${DEEP} deep`, path, nestedArrays(DEEP));
  raw('deep-nesting', `objects ${DEEPEST} deep`, nestedObjects(DEEPEST).text);
  raw('deep-nesting', `arrays ${DEEPEST} deep`, nestedArrays(DEEPEST).text);
  raw('deep-nesting', `objects ${DEEP} deep around a constructor key`, nestedObjects(DEEP, '{"constructor":{"prototype":{"polluted":true}}}').text);
}

function objectCases(object: Record<string, Json>, path: JsonPath, body: Json, at: (kind: Kind, what: string, path: JsonPath, value: Node) => void, raw: (kind: Kind, what: string, value: string) => void): void {
  const keys = Object.keys(object);
  const inner = serialize(object).slice(1, -1);
  const prefixed = (entry: string) => new RawJson(`{${entry}${inner === '' ? '' : ','}${inner}}`);
  at('unknown-fields', 'an unknown field', path, { ...object, hb_unknown: 'x' });
  // A wide object: every added key holds the first key's value (a frame's column, a row's cell).
  if (keys.length > 0) at('huge-arrays', `${WIDE} more keys`, path, { ...object, ...Object.fromEntries(Array.from({ length: WIDE }, (_, i) => [`hb_k${i}`, object[keys[0]]])) });
  at('unknown-fields', 'a __proto__ field', path, prefixed('"__proto__":{"polluted":true}'));
  at('unknown-fields', 'a constructor.prototype field', path, prefixed('"constructor":{"prototype":{"polluted":true}}'));
  // Hostile names as keys: object keys are names too (tags, key columns, frame columns).
  for (const key of keys) {
    for (const [kind, hostile] of [['long-strings', LONG[0]], ['control-chars', CONTROL[0]], ['path-traversal', TRAVERSAL[0]], ['sql-meta', SQL_META[0]]] as Array<[Kind, string]>) {
      const renamed = Object.fromEntries(Object.entries(object).map(([k, v]) => [k === key ? hostile : k, v]));
      at(kind, `key ${key} renamed ${preview(hostile)}`, path, renamed);
    }
    // The same key twice, the other value of another type, first and last (JSON.parse keeps the last).
    const other: Json = typeof object[key] === 'string' ? 1 : 'text';
    for (const first of [true, false]) raw('duplicate-keys', `${pathText([...path, key])} twice, ${first ? 'first' : 'last'} ${JSON.stringify(other)}`, serialize(body, { at: path, key, extra: other, first }));
  }
}

function preview(value: string): string {
  const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 20)}…` : value);
  return value.length > 40 ? `${shown} (${value.length} chars)` : shown;
}
