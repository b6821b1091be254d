import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbClient, FeatureStore, applyCatalog, barSchema, loadConfig, marketCatalog, quoteLiteral, renderTrainingSet } from '@app/features';
import { CACHE_DIR, machine, options, peakRss, timed, writeResults } from './support';

const FEATURES = [
  'returns:ret_1d', 'returns:ret_5d', 'returns:ret_20d', 'returns:log_ret_1d',
  'volatility:vol_20d', 'volatility:parkinson_vol_20d',
  'trend:sma_ratio_20', 'trend:sma_ratio_50', 'trend:rsi_14', 'trend:macd',
];

/**
 * Training-set benchmark: N entity rows x 10 features from 3 views over the materialised
 * 5,000 x 2,520 synthetic bars, Arrow out, against a hand-written DuckDB ASOF JOIN over the same
 * offline Parquet files in the same run. (Feast's get_historical_features is not in this run yet.)
 */
export async function runTrainingSetBench(args: string[]): Promise<void> {
  const opts = options(args);
  const rows = Number(opts.rows ?? '1000000');
  const lakeRoot = join(CACHE_DIR, 'lake-5000x2520');
  if (!existsSync(join(lakeRoot, 'lake'))) throw new Error('run `npm run bench -- materialize` first: it generates the 5000 x 2520 lake');
  const runDir = join(CACHE_DIR, 'training-set-run');
  const fresh = !existsSync(join(runDir, 'offline'));
  if (fresh) {
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    symlinkSync(join(lakeRoot, 'lake'), join(runDir, 'lake'));
  }
  const store = await FeatureStore.open(loadConfig({ DATA_DIR: runDir }));
  try {
    if (fresh) {
      await store.registry.putDataset(barSchema('bars_1d'), true);
      await applyCatalog(store.features, marketCatalog);
      for (const view of ['returns', 'volatility', 'trend']) await store.materializer.run({ view });
    }
    const frame = join(CACHE_DIR, `entities-${rows}.parquet`);
    if (!existsSync(frame)) {
      await store.db.withSession((s) =>
        s.run(`COPY (SELECT printf('SYN%04d', 1 + (hash(i, 1) % 5000)) AS symbol,
                 TIMESTAMPTZ '2019-02-01 00:00:00+00' + to_seconds((hash(i, 2) % (86400 * 2500))::BIGINT) AS ts,
                 (hash(i, 3) % 2)::INTEGER AS label FROM range(${rows}) t(i)) TO ${quoteLiteral(frame)} (FORMAT parquet)`),
      );
    }
    const bytes = readFileSync(frame);

    // (a) Hand-written ASOF JOIN, event mode with the views' TTL (3 days), same offline files.
    const views = { returns: FEATURES.slice(0, 4), volatility: FEATURES.slice(4, 6), trend: FEATURES.slice(6) };
    const handSql = `WITH e AS (SELECT *, row_number() OVER () AS _row FROM read_parquet(${quoteLiteral(frame)}))
SELECT e.symbol, e.ts, e.label, ${Object.entries(views)
      .flatMap(([v, fs]) => fs.map((f) => `CASE WHEN ${v}.event_ts >= e.ts - INTERVAL 3 DAY THEN ${v}.${f.split(':')[1]} END AS ${v}__${f.split(':')[1]}`))
      .join(', ')}
FROM e ${Object.keys(views)
      .map((v) => `ASOF LEFT JOIN read_parquet(${quoteLiteral(join(runDir, 'offline', v, 'v1', '*.parquet'))}) AS ${v} ON e.symbol = ${v}.symbol AND e.ts >= ${v}.event_ts`)
      .join(' ')}
ORDER BY e._row`;
    const hand = await peakRss(() =>
      timed(async () => {
        const db = await DuckDbClient.open();
        try {
          return await db.withSession((s) => s.run(`COPY (${handSql}) TO ${quoteLiteral(join(CACHE_DIR, 'hand.parquet'))} (FORMAT parquet)`));
        } finally {
          db.close();
        }
      }),
    );

    const ours = await peakRss(() =>
      timed(async () => {
        const set = await store.trainingSets.create({ features: FEATURES, entityFrame: { bytes, format: 'parquet' }, pointInTime: 'event' }, false);
        const arrow = await renderTrainingSet(store.db, set.manifest.file, 'arrow');
        return { set, arrowBytes: arrow.length };
      }),
    );
    const compare = await store.db.withSession((s) =>
      s.one<{ diff: number }>(
        `SELECT count(*) AS diff FROM (SELECT * FROM read_parquet(${quoteLiteral(join(CACHE_DIR, 'hand.parquet'))}) EXCEPT ALL SELECT * FROM read_parquet(${quoteLiteral(ours.value.value.set.manifest.file)}))`,
      ),
    );
    const result = {
      command: `npm run bench -- training-set ${args.join(' ')}`.trim(),
      machine: machine(),
      entityRows: rows,
      features: FEATURES.length,
      handAsofMs: Math.round(hand.value.ms),
      handAsofRowsPerSec: Math.round(rows / (hand.value.ms / 1000)),
      handPeakRssMiB: hand.peakMiB,
      oursMs: Math.round(ours.value.ms),
      oursRowsPerSec: Math.round(rows / (ours.value.ms / 1000)),
      oursPeakRssMiB: ours.peakMiB,
      timeRatioOursOverHand: Number((ours.value.ms / hand.value.ms).toFixed(2)),
      rowsDifferingFromHand: compare?.diff ?? null,
      arrowBytes: ours.value.value.arrowBytes,
    };
    const md = [
      `# Training-set benchmark (${new Date().toISOString()})`,
      '',
      `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}.`,
      `${rows} entity rows x ${FEATURES.length} features from 3 views over 5,000 x 2,520 synthetic daily bars (materialised), event mode, Arrow out.`,
      '',
      '| | ms | entity rows/s | peak RSS MiB |',
      '| --- | ---: | ---: | ---: |',
      `| hand-written DuckDB ASOF JOIN → Parquet | ${result.handAsofMs} | ${result.handAsofRowsPerSec} | ${hand.peakMiB} |`,
      `| POST /v1/training-sets path (stored set + Arrow) | ${result.oursMs} | ${result.oursRowsPerSec} | ${ours.peakMiB} |`,
      '',
      `Time ratio ours / hand-written: **${result.timeRatioOursOverHand}** (goal <= 1.3). Rows differing from the hand-written join: ${result.rowsDifferingFromHand}. Feast comparison: not in this run.`,
    ].join('\n');
    writeResults('training-set', result, md);
  } finally {
    await store.close();
  }
}
