import { SyntheticProvider, type FeatureStore } from '@app/features';
import { openStore, query, tempDataDir } from '../support/helpers';

const END = new Date('2025-12-31T00:00:00Z');

async function synth(store: FeatureStore, seed: number, symbols = 30, days = 400) {
  return store.ingest.run(new SyntheticProvider({ symbols, days, seed, endDate: END }), { dataset: 'bars_1d', createAs: 'bars' });
}

/** An order-independent digest of a lake's bars (without ingested_at, which is the batch time). */
async function lakeDigest(dir: string): Promise<string> {
  const [row] = await query<{ d: string }>(
    `SELECT md5(string_agg(concat_ws('|', symbol, ts, open, high, low, close, volume), ',' ORDER BY symbol, ts)) AS d
     FROM read_parquet('${dir}/lake/bars_1d/*/*.parquet')`,
  );
  return row.d;
}

describe('synthetic bars', () => {
  const dirs: Array<ReturnType<typeof tempDataDir>> = [];
  afterAll(() => dirs.forEach((d) => d.cleanup()));

  async function freshStore(): Promise<{ store: FeatureStore; dir: string }> {
    const tmp = tempDataDir();
    dirs.push(tmp);
    return { store: await openStore(tmp.dir), dir: tmp.dir };
  }

  it('are deterministic for a seed and differ between seeds', async () => {
    const a = await freshStore();
    const b = await freshStore();
    const c = await freshStore();
    await synth(a.store, 7);
    await synth(b.store, 7);
    await synth(c.store, 8);
    expect(await lakeDigest(a.dir)).toBe(await lakeDigest(b.dir));
    expect(await lakeDigest(a.dir)).not.toBe(await lakeDigest(c.dir));
    await Promise.all([a.store.close(), b.store.close(), c.store.close()]);
  });

  it('look like market data: valid OHLC, GBM-like returns, occasional gaps, daily closes at midnight UTC', async () => {
    const { store, dir } = await freshStore();
    const summary = await synth(store, 7, 50, 1000);
    expect(summary.rejected).toBe(0);
    const [stats] = await query<Record<string, number>>(`
      WITH b AS (SELECT *, ln(close / lag(close) OVER (PARTITION BY symbol ORDER BY ts)) AS r,
                        epoch(ts - lag(ts) OVER (PARTITION BY symbol ORDER BY ts)) / 86400 AS step
                 FROM read_parquet('${dir}/lake/bars_1d/*/*.parquet'))
      SELECT count(*) AS n, count(DISTINCT symbol) AS symbols,
             count(*) FILTER (WHERE NOT (low <= least(open, close) AND greatest(open, close) <= high AND low > 0 AND volume >= 0)) AS invalid,
             count(*) FILTER (WHERE step > 1) AS gaps,
             count(*) FILTER (WHERE hour(ts) <> 0 OR minute(ts) <> 0) AS off_midnight,
             stddev(r) * sqrt(365) AS annual_vol, avg(abs(r)) AS mean_abs_r, max(ts) AS last
      FROM b`);
    expect(stats.symbols).toBe(50);
    expect(stats.invalid).toBe(0);
    expect(stats.off_midnight).toBe(0);
    // 0.2 % of bars are dropped: about 100 of 50,000.
    expect(stats.n).toBeGreaterThan(49_800);
    expect(stats.n).toBeLessThan(50_000);
    expect(stats.gaps).toBeGreaterThan(50);
    // Per-symbol volatility is drawn in [15 %, 90 %] a year.
    expect(stats.annual_vol).toBeGreaterThan(0.15);
    expect(stats.annual_vol).toBeLessThan(0.9);
    expect(String(stats.last)).toBe('2025-12-31T00:00:00Z');
    await store.close();
  });

  it('tops up a series: only bars after the last one are written, with the same values as a full run', async () => {
    const full = await freshStore();
    const topped = await freshStore();
    await full.store.ingest.run(new SyntheticProvider({ symbols: 5, days: 100, seed: 3, endDate: END }), { dataset: 'bars_1d', createAs: 'bars' });
    const earlier = new Date(END.getTime() - 10 * 86_400_000);
    await topped.store.ingest.run(new SyntheticProvider({ symbols: 5, days: 90, seed: 3, endDate: earlier }), { dataset: 'bars_1d', createAs: 'bars' });
    const top = await topped.store.ingest.run(new SyntheticProvider({ symbols: 5, days: 100, seed: 3, endDate: END, keepAfter: earlier }), {
      dataset: 'bars_1d',
      createAs: 'bars',
    });
    expect(top.accepted).toBeLessThanOrEqual(50);
    expect(top.accepted).toBeGreaterThan(40);
    expect(await lakeDigest(topped.dir)).toBe(await lakeDigest(full.dir));
    await Promise.all([full.store.close(), topped.store.close()]);
  });
});
