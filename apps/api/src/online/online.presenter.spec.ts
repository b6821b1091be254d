import type { OnlineResult, OnlineRow, OnlineStatus, OnlineValue } from '@app/features';
import { feastResponseBody } from '../feast/feast.presenter';
import { onlineResponseBody } from './online.presenter';

// A small deterministic generator, so a failure can be replayed.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function sampleResult(seed: number, entities: number): OnlineResult {
  const next = random(seed);
  // Four view versions; `returns` columns are split in two runs, to cover non-adjacent columns.
  const columns = [
    { view: 'returns', version: 1, feature: 'ret_1d', name: 'returns__ret_1d', type: 'DOUBLE' as const },
    { view: 'updown', version: 2, feature: 'going_up', name: 'updown__going_up', type: 'BOOLEAN' as const },
    { view: 'meta', version: 1, feature: 'note', name: 'meta__note', type: 'VARCHAR' as const },
    { view: 'meta', version: 1, feature: 'count', name: 'meta__count', type: 'BIGINT' as const },
    { view: 'returns', version: 1, feature: 'ret_5d', name: 'returns__ret_5d', type: 'DOUBLE' as const },
  ];
  const columnTable = [0, 1, 2, 2, 0];
  const statuses: OnlineStatus[] = ['PRESENT', 'NOT_FOUND', 'OUTSIDE_TTL'];
  const keys = [Array.from({ length: entities }, (_, j) => (j % 3 === 0 ? `SYM"${j}\\\n` : `SYM${j}`))];
  const value = (type: string, j: number): OnlineValue => {
    if (next() < 0.1) return null;
    if (type === 'DOUBLE') return [1, -0.5, 1e-12, 3.0, NaN, 123456789.125][Math.floor(next() * 6)];
    if (type === 'BOOLEAN') return next() < 0.5;
    if (type === 'VARCHAR') return `note "${j}" ünïcode \u2028`;
    return Math.floor(next() * 1e6);
  };
  const tables = [0, 1, 2].map((t) => {
    const rows: Array<OnlineRow | undefined> = [];
    const st: OnlineStatus[] = [];
    for (let j = 0; j < entities; j++) {
      const status = statuses[Math.floor(next() * 3)];
      st.push(status);
      const values: Record<string, OnlineValue> = {};
      columns.forEach((c, i) => {
        if (columnTable[i] === t) values[c.feature] = value(c.type, j);
      });
      rows.push(status === 'NOT_FOUND' ? undefined : { key: [keys[0][j]], eventTs: `2026-01-0${1 + (j % 9)}T00:00:00${j % 2 ? '.250' : ''}Z`, createdTs: '2026-01-10T00:00:00Z', values });
    }
    return { rows, statuses: st };
  });
  return { keyColumns: ['symbol'], keys, columns, columnTable, tables };
}

// Independent readings of one value, its event time and its status.
const cell = (r: OnlineResult, c: number, j: number) => {
  const table = r.tables[r.columnTable[c]];
  const row = table.rows[j];
  const status = table.statuses[j];
  return { status, eventTs: row?.eventTs ?? null, value: status === 'PRESENT' ? (row!.values[r.columns[c].feature] ?? null) : null };
};

// Independent reference: the docs/api.md shape built as objects and serialised by JSON.stringify.
function reference(r: OnlineResult): unknown {
  const count = r.keys[0].length;
  const versions: Record<string, number> = {};
  for (const c of r.columns) versions[c.view] = c.version;
  return {
    featureNames: [...r.keyColumns, ...r.columns.map((c) => c.name)],
    versions,
    rows: Array.from({ length: count }, (_, j) => ({
      ...Object.fromEntries(r.keyColumns.map((k, i) => [k, r.keys[i][j]])),
      ...Object.fromEntries(r.columns.map((c, i) => [c.name, cell(r, i, j).value])),
    })),
    metadata: Array.from({ length: count }, (_, j) => ({
      eventTimestamps: Object.fromEntries(r.columns.map((c, i) => [c.name, cell(r, i, j).eventTs])),
      statuses: Object.fromEntries(r.columns.map((c, i) => [c.name, cell(r, i, j).status])),
    })),
  };
}

// Feast's shape built as objects: its statuses, whole-second times, NaN as a string.
function feastReference(r: OnlineResult): unknown {
  const count = r.keys[0].length;
  const feastStatus = { PRESENT: 'PRESENT', NOT_FOUND: 'NOT_FOUND', OUTSIDE_TTL: 'OUTSIDE_MAX_AGE' } as const;
  return {
    results: [
      { values: r.keys[0], statuses: r.keys[0].map(() => 'PRESENT'), event_timestamps: r.keys[0].map(() => '1970-01-01T00:00:00Z') },
      ...r.columns.map((_, c) => {
        const cells = Array.from({ length: count }, (_x, j) => cell(r, c, j));
        return {
          values: cells.map((x) => (typeof x.value === 'number' && Number.isNaN(x.value) ? 'NaN' : x.value)),
          statuses: cells.map((x) => (x.status === 'PRESENT' && x.value === null ? 'NULL_VALUE' : feastStatus[x.status])),
          event_timestamps: cells.map((x) => (x.eventTs === null ? '1970-01-01T00:00:00Z' : x.eventTs.replace(/\.\d+Z$/, 'Z'))),
        };
      }),
    ],
    metadata: { feature_names: ['symbol', ...r.columns.map((c) => c.name)] },
  };
}

describe('online answers written as JSON text', () => {
  it.each([1, 2, 3, 4, 5])('equal the object shape serialised by JSON.stringify (seed %i)', (seed) => {
    const result = sampleResult(seed, 1 + seed * 7);
    expect(JSON.parse(onlineResponseBody(result).toString())).toEqual(JSON.parse(JSON.stringify(reference(result))));
    expect(JSON.parse(feastResponseBody(result, true).toString())).toEqual(feastReference(result));
  });

  it('renders from its caches only what is still stored: the same rows twice, then changed rows', () => {
    const result = sampleResult(7, 30);
    const first = onlineResponseBody(result);
    expect(onlineResponseBody(result).equals(first)).toBe(true);
    // A driver hands back a new row object when the stored row changed: the new values show.
    const tables = result.tables.map((t) => ({
      statuses: t.statuses,
      rows: t.rows.map((row) => row && { ...row, eventTs: '2026-02-01T00:00:00Z', values: Object.fromEntries(Object.keys(row.values).map((k) => [k, 42])) }),
    }));
    const changed = { ...result, tables };
    expect(JSON.parse(onlineResponseBody(changed).toString())).toEqual(JSON.parse(JSON.stringify(reference(changed))));
    expect(JSON.parse(feastResponseBody(changed, true).toString())).toEqual(feastReference(changed));
    expect(onlineResponseBody(result).equals(first)).toBe(true);
  });

  it("writes whole doubles as 1.0 and NaN as \"NaN\" in Feast's answer, column-major with the key first", () => {
    const result = sampleResult(9, 60);
    const text = feastResponseBody(result, true).toString();
    const parsed = JSON.parse(text);
    expect(parsed.metadata.feature_names).toEqual(['symbol', 'returns__ret_1d', 'updown__going_up', 'meta__note', 'meta__count', 'returns__ret_5d']);
    expect(parsed.results[0].values).toEqual(result.keys[0]);
    const doubles = result.keys[0].map((_, j) => cell(result, 0, j).value);
    doubles.forEach((v, j) => {
      const raw = parsed.results[1].values[j];
      if (typeof v === 'number' && Number.isNaN(v)) expect(raw).toBe('NaN');
      else expect(raw).toBe(v);
    });
    expect(doubles).toContain(3);
    expect(text).toMatch(/[[,]3\.0[,\]]/);
    expect(text).not.toMatch(/"values":\[[^\]]*\b1e-12\.0/);
  });
});
