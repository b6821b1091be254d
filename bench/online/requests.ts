import { SERVICE } from './bench-catalog';
import type { LoadRequest } from './load-generator';

/** mulberry32: the same request bodies in every run, so runs compare. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const symbolName = (i: number) => `SYN${String(i).padStart(4, '0')}`;

/** `count` sets of `perRequest` distinct random symbols of the `symbols` synthetic ones. */
export function symbolSets(symbols: number, perRequest: number, count: number, seed: number): string[][] {
  // Fewer symbols than a request asks for would never fill a set.
  if (perRequest > symbols) throw new Error(`--symbols must be at least ${perRequest} (requests of ${perRequest} distinct symbols)`);
  const random = rng(seed);
  return Array.from({ length: count }, () => {
    const picked = new Set<string>();
    while (picked.size < perRequest) picked.add(symbolName(1 + Math.floor(random() * symbols)));
    return [...picked];
  });
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Bodies for our own route, POST /v1/online-features. */
export function oursRequests(sets: string[][]): LoadRequest[] {
  return sets.map((s) => ({ method: 'POST', path: '/v1/online-features', headers: JSON_HEADERS, body: JSON.stringify({ featureService: SERVICE, entities: { symbol: s } }) }));
}

/** Bodies for Feast's route, POST /get-online-features (which our server serves too). */
export function feastRequests(sets: string[][]): LoadRequest[] {
  return sets.map((s) => ({ method: 'POST', path: '/get-online-features', headers: JSON_HEADERS, body: JSON.stringify({ feature_service: SERVICE, entities: { symbol: s }, full_feature_names: true }) }));
}

/** POSTs JSON and parses the JSON answer; a non-2xx answer throws with its text. */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}
