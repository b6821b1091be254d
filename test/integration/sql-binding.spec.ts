import { DuckDbClient, sql } from '@app/features';

describe('sql tag against a real DuckDB', () => {
  it('round-trips hostile strings, times and lists through a real DuckDB', async () => {
    const db = await DuckDbClient.open();
    try {
      const hostile = ['\'; DROP TABLE t; --', 'a"b', 'back\\slash', 'semi;colon', 'line\nbreak', 'Zürich €', '$1'];
      const rows = await db.withSession((s) =>
        s.all(sql`SELECT unnest(${hostile}) AS v, ${new Date('2021-04-02T00:00:00.123Z')} AS t, ${hostile[0]} = ${hostile[0]} AS same`),
      );
      expect(rows.map((r) => r.v)).toEqual(hostile);
      expect(rows[0].t).toBe('2021-04-02T00:00:00.123Z');
      expect(rows[0].same).toBe(true);
    } finally {
      db.close();
    }
  });
});
