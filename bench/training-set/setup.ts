import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileLiteral, joinSql, marketCatalog, raw, sql, type CreateTrainingSetCommand, type FeatureStore, type Sql } from '@app/features';
import { CACHE_DIR, dataDirOverLake } from '../support/cache';
import { applyAndMaterialize } from '../support/store-setup';

/** 10 features from 3 of the catalog's views. */
export const FEATURES = [
  'returns:ret_1d', 'returns:ret_5d', 'returns:ret_20d', 'returns:log_ret_1d',
  'volatility:vol_20d', 'volatility:parkinson_vol_20d',
  'trend:sma_ratio_20', 'trend:sma_ratio_50', 'trend:rsi_14', 'trend:macd',
];

export const VIEW_TTL_SECONDS = 3 * 86400; // the catalog's ttl '3d' (returns, volatility, trend)

/** The materialise bench's lake, which this bench reads. */
const LAKE_ROOT = join(CACHE_DIR, 'lake-5000x2520');

/**
 * The data dir of the runs: the 5000 x 2520 lake linked in, its 3 views materialised once and
 * kept between runs (the offline files are what both sides read).
 */
export function runDataDir(): { dir: string; fresh: boolean } {
  if (!existsSync(join(LAKE_ROOT, 'lake'))) throw new Error('run `npm run bench -- materialize` first: it generates the 5000 x 2520 lake');
  const name = 'training-set-run';
  const fresh = !existsSync(join(CACHE_DIR, name, 'offline'));
  return { dir: fresh ? dataDirOverLake(name, LAKE_ROOT) : join(CACHE_DIR, name), fresh };
}

export async function materializeViews(store: FeatureStore): Promise<void> {
  await applyAndMaterialize(store, marketCatalog, { views: ['returns', 'volatility', 'trend'], registerBars: true });
}

/** `rows` random (symbol, ts, label) entity rows as Parquet, cached by row count. */
export async function entityFrame(store: FeatureStore, rows: number): Promise<string> {
  const frame = join(CACHE_DIR, `entities-${rows}.parquet`);
  if (!existsSync(frame)) {
    await store.db.withSession((s) =>
      s.run(sql`COPY (SELECT printf('SYN%04d', 1 + (hash(i, 1) % 5000)) AS symbol,
                 TIMESTAMPTZ '2019-02-01 00:00:00+00' + to_seconds((hash(i, 2) % (86400 * 2500))::BIGINT) AS ts,
                 (hash(i, 3) % 2)::INTEGER AS label FROM range(CAST(${rows} AS BIGINT)) t(i)) TO ${fileLiteral(frame)} (FORMAT parquet)`),
    );
  }
  return frame;
}

/** The first n rows of `frame` (cached next to it). */
export async function firstRows(store: FeatureStore, frame: string, n: number): Promise<string> {
  const out = frame.replace(/\.parquet$/, `.first-${n}.parquet`);
  if (!existsSync(out)) {
    await store.db.withSession((s) =>
      s.run(sql`COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${fileLiteral(frame)}, file_row_number = true) WHERE file_row_number < ${n} ORDER BY file_row_number) TO ${fileLiteral(out)} (FORMAT parquet)`),
    );
  }
  return out;
}

/**
 * The baseline: a hand-written DuckDB ASOF JOIN, event mode with the views' TTL (3 days), over
 * the same offline files, in the entity frame's row order.
 */
export function handWrittenJoin(frame: string, dataDir: string): Sql {
  const views = { returns: FEATURES.slice(0, 4), volatility: FEATURES.slice(4, 6), trend: FEATURES.slice(6) };
  const columns = Object.entries(views)
    .flatMap(([v, fs]) => fs.map((f) => `CASE WHEN ${v}.event_ts >= e.ts - INTERVAL 3 DAY THEN ${v}.${f.split(':')[1]} END AS ${v}__${f.split(':')[1]}`))
    .join(', ');
  const joins = Object.keys(views).map((v) => sql`ASOF LEFT JOIN read_parquet(${fileLiteral(join(dataDir, 'offline', v, 'v1', '*.parquet'))}) AS ${raw(v)} ON e.symbol = ${raw(v)}.symbol AND e.ts >= ${raw(v)}.event_ts`);
  return sql`WITH e AS (SELECT *, row_number() OVER () AS _row FROM read_parquet(${fileLiteral(frame)}))
SELECT e.symbol, e.ts, e.label, ${raw(columns)}
FROM e ${joinSql(joins, ' ')}
ORDER BY e._row`;
}

/** The command POST /v1/training-sets makes of a Parquet entity frame (the answer is then Arrow). */
export function frameCommand(bytes: Buffer): CreateTrainingSetCommand {
  return { features: { features: FEATURES }, entities: { kind: 'frame', bytes, format: 'parquet' }, pointInTime: 'event', timestampColumn: 'ts', runId: null };
}
