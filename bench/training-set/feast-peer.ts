import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { fileLiteral, raw, sql, type FeatureStore } from '@app/features';
import { feastPython, runFeastScript } from '../feast/feast-python';
import { CACHE_DIR } from '../support/cache';
import { peakRss, timed } from '../support/measure';
import { FEATURES, VIEW_TTL_SECONDS, firstRows, frameCommand } from './setup';

export type FeastStore = 'duckdb' | 'file';

interface FeastFigures {
  feast: string;
  entityRows: number;
  outputRows: number;
  ms: number;
  applyMs: number;
  peakRssMiB: number;
}

export interface Comparison {
  /** Entity rows whose output row is missing from Feast's answer. */
  rowsMissingInFeast: number;
  /** Rows Feast returned more than once for the same entity row. */
  extraRowsInFeast: number;
  /** Entity rows present in both answers whose keys, label or any feature value differ. */
  rowsDiffering: number;
  /** Per feature column: rows where Feast and ours differ. */
  differingByColumn: Record<string, number>;
  examples: Record<string, unknown>[];
}

export interface FeastRun {
  store: FeastStore;
  entityRows: number;
  feast: FeastFigures | null;
  feastError?: string;
  oursMs: number;
  oursPeakRssMiB: number;
  comparison?: Comparison;
}

/**
 * Feast's get_historical_features (bench/feast/historical_features.py) on the first n entity
 * rows, with our path timed on the same rows first, and the two answers compared.
 */
export async function runFeast(store: FeatureStore, feastStore: FeastStore, frame: string, n: number, dataDir: string): Promise<FeastRun> {
  const nFrame = await firstRows(store, frame, n);
  // Ours first, on the same n rows, the same way as at full size (stored set + Arrow).
  const ours = await peakRss(() =>
    timed(async () => {
      const set = await store.trainingSets.create(frameCommand(readFileSync(nFrame)));
      tableToIPC(await store.trainingSetReader.arrowTable(set), 'stream');
      return set;
    }),
  );
  const run: FeastRun = { store: feastStore, entityRows: n, feast: null, oursMs: ours.value.ms, oursPeakRssMiB: ours.peakMiB };
  const answer = join(CACHE_DIR, `feast-answer-${feastStore}-${n}.parquet`);
  rmSync(answer, { force: true });
  try {
    run.feast = runFeastScript<FeastFigures>(feastPython(), 'historical_features.py', [
      '--entities', nFrame,
      '--rows', String(n),
      '--offline', join(dataDir, 'offline'),
      '--repo', join(CACHE_DIR, `feast-historical-${feastStore}`),
      '--out', answer,
      '--features', FEATURES.join(','),
      '--ttl-seconds', String(VIEW_TTL_SECONDS),
      '--store', feastStore,
    ]);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    run.feastError = (e.stderr || e.message).trim().split('\n').slice(-3).join(' | ');
    console.error(`Feast (${feastStore} offline store, ${n} rows) failed: ${run.feastError}`);
    return run;
  }
  run.comparison = await compareWithFeast(store, ours.value.value.file, answer);
  return run;
}

/**
 * Feast's answer against ours for the same entity rows, joined on the entity row number (Feast
 * sorts by time; its answer carries bench_row). Floats are equal within 1e-9 relative; null equals
 * null, and NaN is taken as null (pandas cannot tell them apart).
 */
async function compareWithFeast(store: FeatureStore, oursFile: string, feastFile: string): Promise<Comparison> {
  const featureCols = FEATURES.map((f) => f.replace(':', '__'));
  const norm = (x: string) => `CASE WHEN isnan(${x}) THEN NULL ELSE ${x} END`;
  const differs = (c: string) => {
    const [o, f] = [norm(`o.${c}`), norm(`f.${c}`)];
    return `((${o}) IS NULL) <> ((${f}) IS NULL) OR abs((${o}) - (${f})) > 1e-9 * greatest(1, abs(${o}))`;
  };
  const keyDiff = `o.symbol <> f.symbol OR o.ts <> f.ts OR o.label <> f.label`;
  const anyDiff = raw(`${keyDiff} OR ${featureCols.map(differs).join(' OR ')}`);
  return store.db.withSession(async (s) => {
    await s.run(sql`CREATE OR REPLACE TEMP TABLE o AS SELECT file_row_number AS bench_row, * EXCLUDE (file_row_number) FROM read_parquet(${fileLiteral(oursFile)}, file_row_number = true)`);
    await s.run(sql`CREATE OR REPLACE TEMP TABLE f AS SELECT * FROM read_parquet(${fileLiteral(feastFile)})`);
    const counts = await s.one<Record<string, number>>(
      sql`SELECT count(*) FILTER (WHERE f.bench_row IS NULL) AS missing,
              count(*) FILTER (WHERE f.bench_row IS NOT NULL AND (${anyDiff})) AS differing,
              ${raw(featureCols.map((c) => `count(*) FILTER (WHERE f.bench_row IS NOT NULL AND (${differs(c)})) AS "${c}"`).join(', '))}
       FROM o LEFT JOIN f USING (bench_row)`,
    );
    const extra = await s.one<{ extra: number }>(`SELECT count(*) - count(DISTINCT bench_row) AS extra FROM f`);
    const examples = await s.all(
      sql`SELECT o.bench_row, o.symbol, strftime(o.ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, f.bench_row IS NULL AS missing_in_feast,
              ${raw(featureCols.flatMap((c) => [`o.${c} AS ours_${c}`, `f.${c} AS feast_${c}`]).join(', '))}
       FROM o LEFT JOIN f USING (bench_row)
       WHERE f.bench_row IS NULL OR ${anyDiff}
       ORDER BY o.bench_row LIMIT 5`,
    );
    await s.run('DROP TABLE o');
    await s.run('DROP TABLE f');
    const num = (v: unknown) => Number(v ?? 0);
    return {
      rowsMissingInFeast: num(counts?.missing),
      extraRowsInFeast: num(extra?.extra),
      rowsDiffering: num(counts?.differing),
      differingByColumn: Object.fromEntries(featureCols.map((c) => [c, num(counts?.[c])]).filter(([, v]) => v)),
      examples: examples.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))),
    };
  });
}
