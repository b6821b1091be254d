import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { DuckDbClient, TrainingSetReader, fileLiteral } from '@app/features';

// The Arrow answer is built from DuckDB's result chunks, partly by reading their raw buffers
// (numbers, validity bits, short strings as bytes). It is checked here, value by value, against
// DuckDB's own reading of the same Parquet file: strings up to 12 bytes and longer, empty and
// multi-byte ones, nulls in every column, a row count that ends a chunk mid-byte, and (row groups
// of 1001 rows) chunks that start mid-byte.
describe('TrainingSetReader.arrowTable (a real DuckDB and Parquet file)', () => {
  let db: DuckDbClient;
  let dir: string;
  const ROWS = 5003;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    db = await DuckDbClient.open({ threads: 2 });
    dir = mkdtempSync(join(tmpdir(), 'fs-formats-'));
    files['default row groups'] = join(dir, 'set.parquet');
    await db.withSession((s) =>
      s.run(`COPY (
        SELECT
          CASE WHEN i % 11 = 3 THEN NULL
               WHEN i % 7 = 0 THEN 'S' || i
               WHEN i % 7 = 1 THEN repeat('x', 12)
               WHEN i % 7 = 2 THEN repeat('y', 13) || i
               WHEN i % 7 = 3 THEN ''
               WHEN i % 7 = 4 THEN 'é€' || i
               WHEN i % 7 = 5 THEN 'a long symbol name, over twelve bytes ' || i
               ELSE 'ü' END AS symbol,
          TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i * 3601) AS ts,
          CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 3)::INTEGER END AS label,
          CASE WHEN i % 13 = 0 THEN NULL ELSE i / 7.0 END AS view__x,
          CASE WHEN i % 2 = 0 THEN NULL ELSE i % 4 = 1 END AS view__up,
          CASE WHEN i % 9 = 0 THEN NULL ELSE i * 1000 END AS view__n
        FROM range(${ROWS}) AS t(i) ORDER BY i
      ) TO ${fileLiteral(files['default row groups'])} (FORMAT parquet)`),
    );
    // DuckDB writes row groups of whole vectors; pyarrow (a test dependency, see
    // scripts/ensure-python-deps.sh) writes the same rows in groups of 1001.
    files['row groups of 1001 rows'] = join(dir, 'odd.parquet');
    execFileSync('python3', ['-c', 'import sys, pyarrow.parquet as pq; pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2], row_group_size=1001)', files['default row groups'], files['row groups of 1001 rows']]);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['default row groups', 'row groups of 1001 rows'])('holds every value and null of the stored set (%s)', async (name) => {
    const file = files[name];
    // Through IPC and back, as clients receive it.
    const table = tableFromIPC(tableToIPC(await new TrainingSetReader(db, dir).arrowTable({ file }), 'stream'));
    const expected = await db.withSession((s) =>
      s.all<{ symbol: string | null; ts: string; label: number | null; view__x: number | null; view__up: boolean | null; view__n: number | null }>(
        `SELECT symbol, ts, label, view__x, view__up, view__n FROM read_parquet(${fileLiteral(file)})`,
      ),
    );
    expect(expected).toHaveLength(ROWS);
    expect(table.numRows).toBe(ROWS);
    const got = {
      symbol: [...Array(ROWS).keys()].map((i) => table.getChild('symbol')!.get(i) as string | null),
      ts: [...Array(ROWS).keys()].map((i) => new Date(Number(table.getChild('ts')!.get(i))).toISOString()),
      label: [...Array(ROWS).keys()].map((i) => table.getChild('label')!.get(i) as bigint | null),
      x: [...Array(ROWS).keys()].map((i) => table.getChild('view__x')!.get(i) as number | null),
      up: [...Array(ROWS).keys()].map((i) => table.getChild('view__up')!.get(i) as boolean | null),
      n: [...Array(ROWS).keys()].map((i) => table.getChild('view__n')!.get(i) as bigint | null),
    };
    expected.forEach((e, i) => {
      const row = { i, symbol: got.symbol[i], ts: got.ts[i], label: got.label[i] === null ? null : Number(got.label[i]), x: got.x[i], up: got.up[i], n: got.n[i] === null ? null : Number(got.n[i]) };
      expect(row).toEqual({ i, symbol: e.symbol, ts: new Date(e.ts).toISOString(), label: e.label, x: e.view__x, up: e.view__up, n: e.view__n });
    });
    expect(table.getChild('symbol')!.nullCount).toBe(expected.filter((e) => e.symbol === null).length);
    expect(table.getChild('view__x')!.nullCount).toBe(expected.filter((e) => e.view__x === null).length);
    expect(table.getChild('label')!.nullCount).toBe(expected.filter((e) => e.label === null).length);
  });
});
