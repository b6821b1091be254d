import { DuckDbClient, contentDigest, ident } from '@app/features';

// The training-set and entity digest (real DuckDB): any change of a value, of the order or of a
// column name changes it; the same rows give the same digest.
describe('content digest of a relation', () => {
  let db: DuckDbClient;
  beforeAll(async () => (db = await DuckDbClient.open()));
  afterAll(() => db.close());

  async function digestOf(rows: Array<[string, number, number | null]>, names = ['symbol', 'x', 'y']): Promise<string> {
    return db.withSession(async (s) => {
      await s.run(`CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM (VALUES ${rows.map(([a, b, c], i) => `('${a}', ${b}, ${c === null ? 'NULL' : c}::DOUBLE, ${i})`).join(', ')}) AS v(${names.join(', ')}, _row)`);
      return contentDigest(s, ident('t'), '_row', ['_row']);
    });
  }

  const base: Array<[string, number, number | null]> = Array.from({ length: 2000 }, (_, i) => [`S${i % 37}`, i, (i * 7919) % 1000 / 8]);

  it('is the same for the same rows and differs for every kind of change', async () => {
    const same = await digestOf(base);
    expect(await digestOf(base.map((r) => [...r] as [string, number, number | null]))).toBe(same);
    const variants: Record<string, Array<[string, number, number | null]>> = {
      'last column swapped between two rows': base.map((r, i) => (i === 3 ? [r[0], r[1], base[4][2]] : i === 4 ? [r[0], r[1], base[3][2]] : r)),
      'last column changed the same way in two rows': base.map((r, i) => (i === 5 || i === 6 ? [r[0], r[1], 12345.5] : r)),
      'a middle column changed': base.map((r, i) => (i === 7 ? [r[0], r[1] + 1, r[2]] : r)),
      'two rows swapped': base.map((r, i) => (i === 8 ? base[9] : i === 9 ? base[8] : r)),
      'a value set to null': base.map((r, i) => (i === 10 ? [r[0], r[1], null] : r)),
      'a row dropped': base.slice(1),
    };
    const digests = new Set([same]);
    for (const [what, rows] of Object.entries(variants)) {
      const d = await digestOf(rows);
      expect({ what, differs: d !== same }).toEqual({ what, differs: true });
      digests.add(d);
    }
    expect(digests.size).toBe(1 + Object.keys(variants).length);
    expect(await digestOf(base, ['symbol', 'x', 'z'])).not.toBe(same);
  });
});
