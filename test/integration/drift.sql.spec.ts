import { DuckDbClient, PSI_EPSILON, categoricalDriftSql, numericDriftSql, raw, sql, type DuckDbSession } from '@app/features';
import { referenceDrift, type SampleCase } from '../support/drift-reference';

// The PSI and KS SQL on real DuckDB against numpy deciles and scipy's ks_2samp
// (test/support/drift_reference.py): shifted and unshifted samples, ties, nulls, categories
// only one side holds.

function normals(seed: number, n: number, mean: number, sd: number, decimals: number, nullEvery = 0): Array<number | null> {
  let x = seed;
  const uniform = () => ((x = (x * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
  return Array.from({ length: n }, (_, i) => {
    if (nullEvery && i % nullEvery === 0) return null;
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return Number((mean + sd * z).toFixed(decimals));
  });
}

const CASES: Array<SampleCase & { readonly name: string }> = [
  { name: 'shifted normal, ties and nulls', ref: normals(1, 600, 0, 1, 2, 17), cur: normals(2, 350, 0.8, 1.5, 2, 9), categorical: false },
  { name: 'same distribution', ref: normals(3, 800, 5, 2, 6), cur: normals(4, 400, 5, 2, 6), categorical: false },
  { name: 'few integers, heavy ties', ref: [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 4, null], cur: [4, 4, 4, 3, 3, 0, 1, null, null], categorical: false },
  { name: 'current outside the reference range', ref: normals(5, 200, 0, 1, 3), cur: normals(6, 150, 10, 1, 3), categorical: false },
  { name: 'strings, a category only current holds', ref: ['a', 'a', 'b', 'c', 'c', 'c', null], cur: ['a', 'd', 'd', 'c', null, null], categorical: true },
  { name: 'booleans', ref: [true, true, false, true, null, false], cur: [false, false, false, true, null], categorical: true },
];

describe('drift SQL (PSI, KS) against numpy/scipy', () => {
  let db: DuckDbClient;
  let session: DuckDbSession;
  const expected = referenceDrift(CASES, PSI_EPSILON);

  beforeAll(async () => {
    db = await DuckDbClient.open();
    session = await db.session();
  });
  afterAll(() => {
    session.close();
    db.close();
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    const c = CASES[i];
    const type = raw(c.categorical ? (typeof c.ref.find((v) => v !== null) === 'boolean' ? 'BOOLEAN' : 'VARCHAR') : 'DOUBLE');
    // Bound as text, null as a marker: a bound list whose first item is null loses its type.
    const list = (values: SampleCase['ref']) => values.map((v) => (v === null ? '<null>' : String(v)));
    await session.run(sql`CREATE OR REPLACE TEMP TABLE r AS SELECT CAST(nullif(unnest(${list(c.ref)}::VARCHAR[]), '<null>') AS ${type}) AS x`);
    await session.run(sql`CREATE OR REPLACE TEMP TABLE c AS SELECT CAST(nullif(unnest(${list(c.cur)}::VARCHAR[]), '<null>') AS ${type}) AS y`);
    const query = c.categorical ? categoricalDriftSql('r', raw('"x"'), 'c', raw('"y"')) : numericDriftSql('r', raw('"x"'), 'c', raw('"y"'));
    const got = (await session.one(query))!;
    const want = expected[i];
    expect(Number(got.ref_count)).toBe(want.referenceCount);
    expect(Number(got.cur_count)).toBe(want.currentCount);
    expect((Number(got.ref_rows) - Number(got.ref_count)) / Number(got.ref_rows)).toBeCloseTo(want.referenceNullRate!, 12);
    expect(Number(got.psi)).toBeCloseTo(want.psi!, 9);
    if (c.categorical) expect(got.ks).toBeNull();
    else expect(Number(got.ks)).toBeCloseTo(want.ks!, 12);
  });

  it('tells the shifted sample from the unshifted one', () => {
    expect(expected[0].psi!).toBeGreaterThan(0.2);
    expect(expected[1].psi!).toBeLessThan(0.1);
  });
});
