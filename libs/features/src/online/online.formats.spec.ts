import { feastResponseJson, onlineResponseJson } from './online.formats';
import type { OnlineResult, OnlineStatus, OnlineValue } from './online-serving.service';

// A small deterministic generator, so a failure can be replayed.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function sampleResult(seed: number, entities: number): OnlineResult {
  const next = random(seed);
  const columns = [
    { view: 'returns', version: 1, feature: 'ret_1d', name: 'returns__ret_1d', type: 'DOUBLE' as const },
    { view: 'updown', version: 2, feature: 'going_up', name: 'updown__going_up', type: 'BOOLEAN' as const },
    { view: 'meta', version: 1, feature: 'note', name: 'meta__note', type: 'VARCHAR' as const },
    { view: 'meta', version: 1, feature: 'count', name: 'meta__count', type: 'BIGINT' as const },
  ];
  const statuses: OnlineStatus[] = ['PRESENT', 'NOT_FOUND', 'OUTSIDE_TTL'];
  const keys = [Array.from({ length: entities }, (_, j) => (j % 3 === 0 ? `SYM"${j}\\\n` : `SYM${j}`))];
  const values: OnlineValue[][] = [];
  const st: OnlineStatus[][] = [];
  const ts: Array<Array<string | null>> = [];
  for (const c of columns) {
    const v: OnlineValue[] = [];
    const s: OnlineStatus[] = [];
    const t: Array<string | null> = [];
    for (let j = 0; j < entities; j++) {
      const status = statuses[Math.floor(next() * 3)];
      s.push(status);
      t.push(status === 'NOT_FOUND' ? null : `2026-01-0${1 + (j % 9)}T00:00:00Z`);
      if (status !== 'PRESENT' || next() < 0.1) v.push(null);
      else if (c.type === 'DOUBLE') v.push([1, -0.5, 1e-12, 3.0, NaN, 123456789.125][Math.floor(next() * 6)]);
      else if (c.type === 'BOOLEAN') v.push(next() < 0.5);
      else if (c.type === 'VARCHAR') v.push(`note "${j}" ünïcode \u2028`);
      else v.push(Math.floor(next() * 1e6));
    }
    values.push(v);
    st.push(s);
    ts.push(t);
  }
  return { keyColumns: ['symbol'], keys, columns, values, statuses: st, eventTimestamps: ts };
}

// Independent reference: the API.md shape built as objects and serialised by JSON.stringify.
function reference(r: OnlineResult): unknown {
  const count = r.keys[0].length;
  const versions: Record<string, number> = {};
  for (const c of r.columns) versions[c.view] = c.version;
  return {
    featureNames: [...r.keyColumns, ...r.columns.map((c) => c.name)],
    versions,
    rows: Array.from({ length: count }, (_, j) => ({
      ...Object.fromEntries(r.keyColumns.map((k, i) => [k, r.keys[i][j]])),
      ...Object.fromEntries(r.columns.map((c, i) => [c.name, r.values[i][j]])),
    })),
    metadata: Array.from({ length: count }, (_, j) => ({
      eventTimestamps: Object.fromEntries(r.columns.map((c, i) => [c.name, r.eventTimestamps[i][j]])),
      statuses: Object.fromEntries(r.columns.map((c, i) => [c.name, r.statuses[i][j]])),
    })),
  };
}

describe('online answers written as JSON text', () => {
  it.each([1, 2, 3, 4, 5])('equal the object shape serialised by JSON.stringify (seed %i)', (seed) => {
    const result = sampleResult(seed, 1 + seed * 7);
    expect(JSON.parse(onlineResponseJson(result))).toEqual(JSON.parse(JSON.stringify(reference(result))));
  });

  it("writes whole doubles as 1.0 and NaN as \"NaN\" in Feast's answer, column-major with the key first", () => {
    const result = sampleResult(9, 12);
    const text = feastResponseJson(result, true);
    const parsed = JSON.parse(text);
    expect(parsed.metadata.feature_names).toEqual(['symbol', 'returns__ret_1d', 'updown__going_up', 'meta__note', 'meta__count']);
    expect(parsed.results[0].values).toEqual(result.keys[0]);
    result.values[0].forEach((v, j) => {
      const raw = parsed.results[1].values[j];
      if (typeof v === 'number' && Number.isNaN(v)) expect(raw).toBe('NaN');
      else expect(raw).toBe(v);
    });
    if (result.values[0].includes(3)) expect(text).toMatch(/[[,]3\.0[,\]]/);
    expect(text).not.toMatch(/"values":\[[^\]]*\b1e-12\.0/);
  });
});
