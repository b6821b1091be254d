import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileProvider, fileLiteral, parseBarTiming, sql, type FeatureStore, type IngestSummary } from '@app/features';
import { lakeRows, openStore, query, tempDataDir, writeText } from '../support/helpers';

const daily = parseBarTiming({ interval: '1d' });
const HEADER = 'symbol,date,open,high,low,close,volume';

// Daily bars of three symbols, one across 1970-01-01 (negative epoch times, a partition
// boundary), one with a missing day (a gap); vendor layout: the bar's start date.
function cleanLines(): string[] {
  const lines: string[] = [];
  const series: Array<[string, string, number]> = [
    ['AAA', '1969-12-20', 30],
    ['BBB', '2024-01-20', 60],
    ['CCC', '2024-02-25', 12],
  ];
  for (const [symbol, first, days] of series) {
    for (let i = 0; i < days; i++) {
      if (symbol === 'BBB' && i === 17) continue;
      const date = new Date(Date.parse(`${first}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
      const open = 100 + i * 0.25;
      lines.push(`${symbol},${date},${open},${open + 2.5},${open - 1.125},${open + 0.5},${1000 + i}`);
    }
  }
  return lines;
}

/**
 * A clean batch goes the direct way (one pass from the source into the partition folders); a
 * batch with a rejected or a duplicate row goes the general way (staged table). Both must leave
 * the same lake rows, partitions and reports, checked against DuckDB's own reading of the CSV.
 */
describe('direct and general ingest ways give the same lake', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  const stores: FeatureStore[] = [];

  beforeEach(() => {
    tmp = tempDataDir();
  });
  afterEach(async () => {
    while (stores.length) await stores.pop()!.close();
    tmp.cleanup();
  });

  async function ingest(name: string, lines: string[], window: { keepAfter?: Date; keepUntil?: Date } = {}): Promise<{ dataDir: string; summary: IngestSummary }> {
    const dataDir = join(tmp.dir, name);
    const store = await openStore(dataDir);
    stores.push(store);
    const csv = writeText(tmp.dir, `${name}.csv`, [HEADER, ...lines].join('\n') + '\n');
    const file = new FileProvider({ path: csv, timing: daily });
    // The file's batch with a time window, as incremental top-ups and the stream ask for.
    const provider = {
      name: 'windowed-file',
      async *batches() {
        for await (const batch of file.batches()) yield { ...batch, ...window };
      },
    };
    const summary = await store.ingest.run(provider, { dataset: 'bars_1d', createAs: 'bars' });
    expect(summary.failures).toEqual([]);
    expect(readdirSync(join(dataDir, 'staging'))).toEqual([]);
    return { dataDir, summary };
  }

  // The bars as DuckDB reads the clean CSV, closed a day after their date, with their month.
  async function reference(after = new Date('1900-01-01T00:00:00Z'), until = new Date('2199-01-01T00:00:00Z')): Promise<Array<Record<string, unknown>>> {
    const csv = writeText(tmp.dir, 'reference.csv', [HEADER, ...cleanLines()].join('\n') + '\n');
    return query(
      sql`SELECT * FROM (SELECT symbol, date::TIMESTAMPTZ + INTERVAL 1 DAY AS ts, open::DOUBLE AS open, high::DOUBLE AS high, low::DOUBLE AS low, close::DOUBLE AS close,
                 volume::DOUBLE AS volume, strftime(date::TIMESTAMPTZ + INTERVAL 1 DAY, '%Y-%m') AS month
          FROM read_csv(${fileLiteral(csv)})) WHERE ts > ${after} AND ts <= ${until} ORDER BY symbol, ts`,
    );
  }

  async function lake(dataDir: string): Promise<Array<Record<string, unknown>>> {
    const files = fileLiteral(`${dataDir}/lake/bars_1d/date=*/*.parquet`);
    const rows = await query(
      sql`SELECT symbol, ts, open, high, low, close, volume, date AS month FROM read_parquet(${files}, hive_partitioning = true, hive_types_autocast = false) ORDER BY symbol, ts`,
    );
    expect((await lakeRows(dataDir, 'bars_1d')).every((r) => r.adj_close === null && r.ingested_at === '2026-01-01T12:00:00Z')).toBe(true);
    return rows;
  }

  it('writes a clean batch directly, and a batch with a rejected or a duplicate row the general way, to the same rows', async () => {
    const expected = await reference();
    const clean = await ingest('clean', cleanLines());
    const withBad = await ingest('bad', [...cleanLines(), 'CCC,2024-06-01,10,9,8,8.5,100']);
    // The earlier of two rows for the same bar is superseded by the later (the clean one).
    const withDup = await ingest('dup', ['BBB,2024-01-25,1,1,1,1,1', ...cleanLines()]);

    expect(clean.summary.batches[0].phases).toHaveProperty('read+validate+write');
    expect(clean.summary.batches[0].phases).not.toHaveProperty('direct (discarded)');
    for (const general of [withBad, withDup]) expect(general.summary.batches[0].phases).toHaveProperty('direct (discarded)');
    expect(withBad.summary.batches[0].rejected).toBe(1);
    expect(withBad.summary.batches[0].errors).toEqual([{ row: cleanLines().length + 1, message: 'open: outside [low, high]' }]);
    expect(withDup.summary.batches[0].supersededInBatch).toBe(1);

    for (const run of [clean, withBad, withDup]) {
      expect(await lake(run.dataDir)).toEqual(expected);
      const batch = run.summary.batches[0];
      expect(batch.accepted).toBe(expected.length);
      expect(batch.minTs).toBe('1969-12-21T00:00:00Z');
      expect(batch.maxTs).toBe(expected.map((r) => String(r.ts)).sort().at(-1));
      expect(batch.gaps).toEqual([{ key: 'BBB', missing: 1 }]);
      const months = [...new Set(expected.map((r) => String(r.month)))].sort();
      expect(readdirSync(join(run.dataDir, 'lake', 'bars_1d')).filter((p) => p.startsWith('date=')).sort()).toEqual(months.map((m) => `date=${m}`));
      expect(batch.files).toHaveLength(months.length);
    }
  });

  it('keeps only the rows inside a time window on the direct way, and still rejects a bad row outside it', async () => {
    const keepAfter = new Date('2024-02-10T00:00:00Z');
    const keepUntil = new Date('2024-03-05T00:00:00Z');
    const expected = await reference(keepAfter, keepUntil);
    const clean = await ingest('window', cleanLines(), { keepAfter, keepUntil });
    const withBad = await ingest('window-bad', [...cleanLines(), 'AAA,1969-12-01,10,9,8,8.5,100'], { keepAfter, keepUntil });
    expect(expected.length).toBeGreaterThan(10);
    expect(clean.summary.batches[0].phases).toHaveProperty('read+validate+write');
    expect(withBad.summary.batches[0].phases).toHaveProperty('direct (discarded)');
    expect(withBad.summary.batches[0].rejected).toBe(1);
    for (const run of [clean, withBad]) {
      expect(await lake(run.dataDir)).toEqual(expected);
      expect(run.summary.batches[0].accepted).toBe(expected.length);
    }
  });
});
