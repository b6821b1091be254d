import type { FeastRun } from './feast-peer';

/** A Feast run as the results record it: figures per side, the speed-up and the comparison. */
export function feastRow(r: FeastRun) {
  return {
    offlineStore: r.store,
    feastVersion: r.feast?.feast ?? null,
    entityRows: r.entityRows,
    feastMs: r.feast?.ms ?? null,
    feastRowsPerSec: r.feast ? Math.round(r.entityRows / (r.feast.ms / 1000)) : null,
    feastPeakRssMiB: r.feast?.peakRssMiB ?? null,
    feastOutputRows: r.feast?.outputRows ?? null,
    feastError: r.feastError,
    oursMs: Math.round(r.oursMs),
    oursRowsPerSec: Math.round(r.entityRows / (r.oursMs / 1000)),
    oursPeakRssMiB: r.oursPeakRssMiB,
    speedupOursOverFeast: r.feast ? Number((r.feast.ms / r.oursMs).toFixed(1)) : null,
    ...r.comparison,
  };
}

type FeastRow = ReturnType<typeof feastRow>;

export interface TrainingSetResult {
  command: string;
  machine: Record<string, unknown>;
  entityRows: number;
  features: number;
  handAsofMs: number;
  handAsofRowsPerSec: number;
  handPeakRssMiB: number;
  oursMs: number;
  oursRowsPerSec: number;
  oursPeakRssMiB: number;
  timeRatioOursOverHand: number;
  repeat: number;
  handAsofRunsMs: number[];
  oursRunsMs: number[];
  timeRatioMedian: number;
  loadAverage1mBefore: number;
  loadAverage1mAfter: number;
  rowsDifferingFromHand: number | null;
  arrowBytes: number;
  feast: FeastRow[];
}

export function markdown(result: TrainingSetResult): string {
  return [
    `# Training-set benchmark (${new Date().toISOString()})`,
    '',
    `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}.`,
    `${result.entityRows} entity rows x ${result.features} features from 3 views over 5,000 x 2,520 synthetic daily bars (materialised), event mode, Arrow out.`,
    '',
    '| | ms | entity rows/s | peak RSS MiB |',
    '| --- | ---: | ---: | ---: |',
    `| hand-written DuckDB ASOF JOIN → Parquet | ${result.handAsofMs} | ${result.handAsofRowsPerSec} | ${result.handPeakRssMiB} |`,
    `| POST /v1/training-sets path (stored set + Arrow) | ${result.oursMs} | ${result.oursRowsPerSec} | ${result.oursPeakRssMiB} |`,
    '',
    `Time ratio ours / hand-written: **${result.timeRatioOursOverHand}** (goal <= 1.3; best of ${result.repeat} alternating run(s) each: hand ${JSON.stringify(result.handAsofRunsMs)} ms, ours ${JSON.stringify(result.oursRunsMs)} ms; ratio of medians ${result.timeRatioMedian}). Rows differing from the hand-written join: ${result.rowsDifferingFromHand}. Load average (1 min) ${result.loadAverage1mBefore} before, ${result.loadAverage1mAfter} after: the machine was shared.`,
    '',
    ...feastMarkdown(result.feast),
  ].join('\n');
}

function feastMarkdown(runs: FeastRow[]): string[] {
  if (runs.length === 0) return ['Feast comparison: not in this run (--feast-rows 0 --feast-file-rows 0).'];
  const lines = [
    `Feast ${runs.find((r) => r.feastVersion)?.feastVersion ?? ''} \`get_historical_features(entity_df, features, full_feature_names=True).to_df()\` (bench/feast/historical_features.py: one FileSource per view over the same offline Parquet files, ttl 3 days, timestamp_field event_ts, created_timestamp_column created_ts), on the first N entity rows; ours timed on the same N rows in the same run (stored set + Arrow). Feast's time is get_historical_features + to_df only (not repo setup, not reading the entity frame); peak RSS is the Python process's ru_maxrss.`,
    '',
    '| offline store | N entity rows | Feast ms | Feast rows/s | Feast peak RSS MiB | ours ms | ours rows/s | ours peak RSS MiB | ours faster by | rows missing in Feast | extra rows in Feast | rows differing |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of runs) {
    lines.push(
      `| ${r.offlineStore} | ${r.entityRows} | ${r.feastMs ?? 'failed'} | ${r.feastRowsPerSec ?? ''} | ${r.feastPeakRssMiB ?? ''} | ${r.oursMs} | ${r.oursRowsPerSec} | ${r.oursPeakRssMiB} | ${r.speedupOursOverFeast ?? ''}x | ${r.rowsMissingInFeast ?? ''} | ${r.extraRowsInFeast ?? ''} | ${r.rowsDiffering ?? ''} |`,
    );
  }
  for (const r of runs) {
    if (r.feastError) lines.push('', `Feast with the ${r.offlineStore} store failed: ${r.feastError}`);
    const examples = r.examples ?? [];
    if (examples.length) {
      lines.push('', `First differences (${r.offlineStore} store; by column: ${JSON.stringify(r.differingByColumn)}):`, '');
      for (const e of examples) lines.push(`- \`${JSON.stringify(e)}\``);
    }
  }
  return lines;
}
