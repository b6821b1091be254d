import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FixedClock, symbolEntity, type FeatureStore } from '@app/features';
import { FIRST, HOUR, HOURS, SYMBOLS, view, writeHistory } from '../support/compaction-fixtures';
import { openStore, query, tempDataDir } from '../support/helpers';

// A day-partitioned dataset written as many small batches (late bars and corrections among
// them), copied aside, then compacted: the compacted lake and the untouched copy must give the
// same rows (every version), the same materialisations and the same training sets, digests
// included, in every mode and vintage. The copy is the reference: nothing of the compaction
// runs on it.

const entities = SYMBOLS.flatMap((symbol) => Array.from({ length: HOURS / 2 }, (_, i) => ({ symbol, ts: new Date(FIRST + i * 2 * HOUR + 30 * 60_000).toISOString() })));

async function answers(store: FeatureStore, dir: string): Promise<Record<string, unknown>> {
  const schema = await store.datasets.schema('ticks');
  const all = await query(`SELECT * FROM (${await store.datasets.allRowsSql(schema)}) ORDER BY symbol, ts, ingested_at`);
  const current = await query(`SELECT * FROM (${await store.datasets.currentRowsSql(schema)}) ORDER BY symbol, ts`);
  await store.features.applyEntity(symbolEntity);
  await store.features.apply(view);
  const materialised = await store.materializer.run({ view: view.name });
  const offline = await query(`SELECT symbol, event_ts, created_ts, px, ret FROM read_parquet('${dir}/offline/hourly_px/v1/*.parquet') ORDER BY ALL`);
  const sets: Record<string, string> = {};
  for (const [name, mode, knownAt] of [
    ['event', 'event', null],
    ['knowledge', 'knowledge', null],
    ['knownAt', 'event', new Date(FIRST + 70 * HOUR)],
  ] as const) {
    const set = await store.trainingSets.create({ features: { features: ['hourly_px:px', 'hourly_px:ret'] }, entities: { kind: 'rows', rows: entities }, pointInTime: mode, timestampColumn: 'ts', runId: null, knownAt });
    sets[name] = set.digest;
  }
  return { all, current, rows: materialised.rows, offline, sets };
}

describe('lake compaction', () => {
  let tmp: ReturnType<typeof tempDataDir>;
  const clock = new FixedClock(new Date('2024-03-20T00:00:00Z'));

  beforeAll(async () => {
    tmp = tempDataDir();
    const store = await openStore(join(tmp.dir, 'a'), clock);
    await writeHistory(store);
    await store.close();
    cpSync(join(tmp.dir, 'a'), join(tmp.dir, 'b'), { recursive: true });
  });
  afterAll(() => tmp.cleanup());

  it('merges each partition into one sorted file and answers exactly as the untouched lake', async () => {
    const dirA = join(tmp.dir, 'a');
    const dirB = join(tmp.dir, 'b');
    const a = await openStore(dirA, clock, { LAKE_COMPACTION_GRACE_S: '0' });
    const b = await openStore(dirB, clock);
    try {
      const partitions = readdirSync(join(dirA, 'lake', 'ticks')).filter((p) => p.startsWith('date='));
      const before = partitions.map((p) => readdirSync(join(dirA, 'lake', 'ticks', p)).length);
      expect(before.every((n) => n >= 6)).toBe(true);
      const report = await a.compaction.compactDataset('ticks');
      expect(report.partitions.map((p) => `date=${p.partition}`).sort()).toEqual(partitions.sort());
      expect(report.partitions.reduce((n, p) => n + p.inputFiles, 0)).toBe(before.reduce((x, y) => x + y, 0));
      expect(report.partitions.every((p) => p.outputFiles === 1 && p.droppedVersions === 0)).toBe(true);
      // The grace period is 0 here: the replaced files are gone, one file per partition is left.
      for (const p of partitions) expect(readdirSync(join(dirA, 'lake', 'ticks', p))).toEqual([expect.stringMatching(/^c-.*\.parquet$/)]);
      // Sorted by (symbol, ts, ingested_at) within each file.
      const unsorted = await query(`SELECT count(*) AS n FROM (SELECT symbol, ts, ingested_at, lag((symbol, ts, ingested_at)) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
        FROM read_parquet('${dirA}/lake/ticks/*/*.parquet', filename = true, file_row_number = true)) WHERE prev IS NOT NULL AND prev > (symbol, ts, ingested_at)`);
      expect(Number(unsorted[0].n)).toBe(0);
      const compacted = await answers(a, dirA);
      const reference = await answers(b, dirB);
      expect((compacted.all as unknown[]).length).toBe(SYMBOLS.length * HOURS + 4);
      expect(compacted).toEqual(reference);
      // A second run finds nothing to do.
      expect((await a.compaction.compactDataset('ticks')).partitions).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps the batches naming the files that hold their rows', async () => {
    const a = await openStore(join(tmp.dir, 'a'), clock);
    try {
      const batches = await a.registry.datasets.listBatches('ticks');
      const files = new Set(batches.flatMap((x) => x.files));
      const onDisk = new Set(readdirSync(join(tmp.dir, 'a', 'lake', 'ticks')).filter((p) => p.startsWith('date=')).flatMap((p) => readdirSync(join(tmp.dir, 'a', 'lake', 'ticks', p)).map((f) => `ticks/${p}/${f}`)));
      expect([...files].sort()).toEqual([...onDisk].sort());
    } finally {
      await a.close();
    }
  });

  it('refuses a knownAt before the retention horizon once retention dropped versions, and answers after it as before', async () => {
    const dir = join(tmp.dir, 'c');
    cpSync(join(tmp.dir, 'b'), dir, { recursive: true });
    const store = await openStore(dir, clock, { LAKE_COMPACTION_GRACE_S: '0' });
    try {
      // Now is 2024-03-20: a 14-day retention drops versions superseded before 2024-03-06.
      const report = await store.compaction.compactDataset('ticks', { retention: '14d' });
      const horizon = Date.parse('2024-03-06T00:00:00Z');
      expect(report.retentionHorizon).toBe(new Date(horizon).toISOString());
      // AAA hour 10's first version was superseded at FIRST + 36h (2024-03-05T12:00): dropped;
      // its second at FIRST + 80h (after the horizon): kept, as are every current version.
      expect(report.partitions.reduce((n, p) => n + p.droppedVersions, 0)).toBe(1);
      const aaa10 = await query(`SELECT close FROM (${await store.datasets.allRowsSql(await store.datasets.schema('ticks'))}) WHERE symbol = 'AAA' AND ts = TIMESTAMPTZ '${new Date(FIRST + 10 * HOUR).toISOString()}' ORDER BY ingested_at`);
      expect(aaa10.map((r) => r.close)).toEqual([555.5, 556.5]);
      await store.features.applyEntity(symbolEntity);
      await store.features.apply(view);
      const request = (knownAt: Date) => store.trainingSets.create({ features: { features: ['hourly_px:px'] }, entities: { kind: 'rows', rows: entities }, pointInTime: 'event', timestampColumn: 'ts', runId: null, knownAt });
      await expect(request(new Date(horizon - 1))).rejects.toMatchObject({ code: ErrorCode.BeforeRetention, details: { field: 'knownAt', dataset: 'ticks' } });
      const after = await request(new Date(FIRST + 70 * HOUR));
      const reference = await openStore(join(tmp.dir, 'b'), clock);
      try {
        const expected = await reference.trainingSets.create({ features: { features: ['hourly_px:px'] }, entities: { kind: 'rows', rows: entities }, pointInTime: 'event', timestampColumn: 'ts', runId: null, knownAt: new Date(FIRST + 70 * HOUR) });
        expect(after.digest).toBe(expected.digest);
      } finally {
        await reference.close();
      }
    } finally {
      await store.close();
    }
  });
});
