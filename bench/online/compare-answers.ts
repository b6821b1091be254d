import { SERVICE } from './bench-catalog';
import { postJson } from './requests';

interface FeastAnswer {
  metadata: { feature_names: string[] };
  results: Array<{ values: unknown[]; statuses: string[] }>;
}

export interface Comparison {
  symbols: number;
  features: number;
  valuesCompared: number;
  differing: number;
  presentInOurs: number;
  presentInFeast: number;
  maxRelDiff: number;
  examples: string[];
}

/** Feast-shape answers as {name: [values]}, {name: [statuses]}. */
function columns(a: FeastAnswer): { values: Map<string, unknown[]>; statuses: Map<string, string[]> } {
  const values = new Map<string, unknown[]>();
  const statuses = new Map<string, string[]>();
  a.metadata.feature_names.forEach((n, i) => {
    values.set(n, a.results[i].values);
    statuses.set(n, a.results[i].statuses);
  });
  return { values, statuses };
}

/**
 * The same request to two servers' /get-online-features, every value compared by name: a
 * throughput figure counts only if both answer the same (numbers equal within 1e-12 relative).
 */
export async function compareFeastShape(oursUrl: string, otherUrl: string, symbols: string[]): Promise<Comparison> {
  const body = { feature_service: SERVICE, entities: { symbol: symbols }, full_feature_names: true };
  const [ours, other] = await Promise.all([postJson<FeastAnswer>(`${oursUrl}/get-online-features`, body), postJson<FeastAnswer>(`${otherUrl}/get-online-features`, body)]);
  const o = columns(ours);
  const f = columns(other);
  const c: Comparison = { symbols: symbols.length, features: o.values.size - 1, valuesCompared: 0, differing: 0, presentInOurs: 0, presentInFeast: 0, maxRelDiff: 0, examples: [] };
  const names = new Set([...o.values.keys(), ...f.values.keys()]);
  for (const name of names) {
    const ov = o.values.get(name);
    const fv = f.values.get(name);
    for (let j = 0; j < symbols.length; j++) {
      c.valuesCompared++;
      const a = ov?.[j];
      const b = fv?.[j];
      if (name !== 'symbol') {
        if (o.statuses.get(name)?.[j] === 'PRESENT') c.presentInOurs++;
        if (f.statuses.get(name)?.[j] === 'PRESENT') c.presentInFeast++;
      }
      let same = a === b;
      if (!same && typeof a === 'number' && typeof b === 'number') {
        const rel = Math.abs(a - b) / Math.max(1e-300, Math.abs(a), Math.abs(b));
        c.maxRelDiff = Math.max(c.maxRelDiff, rel);
        same = rel <= 1e-12;
      }
      if (!same) {
        c.differing++;
        if (c.examples.length < 5) c.examples.push(`${symbols[j]} ${name}: ours ${JSON.stringify(a)}, other ${JSON.stringify(b)}`);
      }
    }
  }
  return c;
}

/** Before measuring: our LMDB and Redis servers give the same, complete answers. */
export async function checkOursAgree(lmdbUrl: string, redisUrl: string, checkSymbols: string[]): Promise<Comparison> {
  const lmdbVsRedis = await compareFeastShape(lmdbUrl, redisUrl, checkSymbols);
  const v1 = await postJson<{ rows: unknown[]; metadata: Array<{ statuses: Record<string, string> }> }>(`${lmdbUrl}/v1/online-features`, { featureService: SERVICE, entities: { symbol: checkSymbols.slice(0, 3) } });
  const v1Present = v1.metadata.flatMap((m) => Object.values(m.statuses)).filter((s) => s === 'PRESENT').length;
  if (lmdbVsRedis.differing > 0 || v1Present !== 150) throw new Error(`our LMDB and Redis answers differ or are incomplete: ${JSON.stringify({ lmdbVsRedis, v1Present })}`);
  return lmdbVsRedis;
}
