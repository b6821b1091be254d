import { join } from 'node:path';
import { applyCatalog, fileLiteral, forwardReturnsView, marketCatalog, sql, type CreateTrainingSetCommand, type FeatureStore } from '@app/features';
import { timed } from '../support/measure';
import { commandLine, machine, ratio, writeResults } from '../support/report';
import { median } from '../support/stats';
import { FEATURES, frameCommand } from './setup';

const LABEL: Record<string, string> = {
  plain: 'without',
  knownAt: 'knownAt only',
  labels: '2 labels only',
  vintage: 'knownAt + 2 labels',
  fourth: '2 features of a 4th view (no labels)',
};

/**
 * The catalog's label view under a bench name: its offline files are written by this build on
 * the first run (caches from before label rows had label_created_ts hold older files).
 */
const LABEL_VIEW = { ...forwardReturnsView, name: 'forward_returns_b' };

/** Two label columns of it, as the goal asks. */
export const LABELS = ['forward_returns_b:fwd_ret_1d', 'forward_returns_b:fwd_ret_5d'];

/**
 * The same shape as a feature view (two backward returns, same source and TTL): what any 4th view
 * in the join costs, so the labels' own share of their cost shows.
 */
const FOURTH_VIEW = {
  name: 'past_returns_b',
  entity: 'symbol',
  source: forwardReturnsView.source,
  ttl: forwardReturnsView.ttl,
  sql: 'SELECT symbol, ts, close / lag(close, 1) OVER w - 1 AS past_ret_1d, close / lag(close, 5) OVER w - 1 AS past_ret_5d FROM source WINDOW w AS (PARTITION BY symbol ORDER BY ts)',
  features: [
    { name: 'past_ret_1d', type: 'DOUBLE' },
    { name: 'past_ret_5d', type: 'DOUBLE' },
  ],
};

/**
 * `--vintage`: the same 1M-row set without and with a `knownAt` (the newest created_ts: every row
 * is filtered, none dropped) and two label columns, alternating `repeat` times in one run (issue 16's
 * goal: at most 1.3x). The label view is applied and materialised before the first timed run.
 */
export async function runVintageAb(store: FeatureStore, bytes: Buffer, repeat: number, args: readonly string[]): Promise<void> {
  await applyCatalog(store.features, marketCatalog);
  await store.features.apply(LABEL_VIEW);
  await store.features.apply(FOURTH_VIEW);
  console.error(`materialising ${LABEL_VIEW.name} and ${FOURTH_VIEW.name} …`);
  const warm = await timed(() => store.materializer.run({ view: LABEL_VIEW.name }));
  await store.materializer.run({ view: FOURTH_VIEW.name });
  console.error(`  ${Math.round(warm.ms)} ms`);
  const newest = await store.db.withSession((s) => s.one<{ t: Date | string }>(sql`SELECT max(created_ts) AS t FROM read_parquet(${fileLiteral(join(store.config.dataDir, 'offline', 'returns', 'v1', '*.parquet'))})`));
  // The newest created_ts: the filter runs over every row and drops none, so both sides answer
  // the same values (a cutoff that dropped rows would make the set cheaper, not the filter).
  const knownAt = new Date(Math.ceil(new Date(String(newest?.t)).getTime()));
  const plain: CreateTrainingSetCommand = frameCommand(bytes);
  // Each part alone too, so a miss of the goal names its cause.
  const sides: Array<[string, CreateTrainingSetCommand]> = [
    ['plain', plain],
    ['knownAt', { ...plain, knownAt }],
    ['labels', { ...plain, labels: LABELS }],
    ['vintage', { ...plain, knownAt, labels: LABELS }],
    ['fourth', { ...plain, features: { features: [...FEATURES, 'past_returns_b:past_ret_1d', 'past_returns_b:past_ret_5d'] } }],
  ];
  const runs: Record<string, number[]> = Object.fromEntries(sides.map(([name]) => [name, []]));
  for (let r = 0; r < repeat; r++) {
    // A rotating order per round, so no side always runs first or last.
    for (let i = 0; i < sides.length; i++) {
      const [name, command] = sides[(i + r) % sides.length];
      const run = await timed(() => store.trainingSets.create(command));
      runs[name].push(Math.round(run.ms));
      console.error(`  round ${r + 1} ${name}: ${Math.round(run.ms)} ms`);
    }
  }
  const value = ratio(median(runs.vintage), median(runs.plain));
  const againstFourth = ratio(median(runs.labels), median(runs.fourth));
  const result = { command: commandLine('training-set', args), machine: machine(), knownAt: knownAt.toISOString(), labels: LABELS, labelMaterialiseMs: Math.round(warm.ms), runs, ratioOfMedians: value, labelsAgainstFourthView: againstFourth, goal: { target: '<= 1.3', met: value <= 1.3 } };
  const md = [
    `# Training sets with knownAt and labels vs without (${new Date().toISOString()})`,
    '',
    `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}. The same entity frame and 10 features; the other sides add \`knownAt\` ${result.knownAt} (the newest created_ts: every row filtered, none dropped), the labels ${LABELS.join(', ')} (the catalog's forward_returns), or both; and, as the cost of any 4th view in the join, 2 features of a feature view of the same shape (${FOURTH_VIEW.name}). ${repeat} runs per side, in a rotating order per round. The label view was materialised first (${result.labelMaterialiseMs} ms, not in the figures).`,
    '',
    '| side | median ms | runs ms | / without |',
    '| --- | ---: | --- | ---: |',
    ...sides.map(([name]) => `| ${LABEL[name]} | ${median(runs[name])} | ${runs[name].join(', ')} | ${ratio(median(runs[name]), median(runs.plain))} |`),
    '',
    `Ratio of medians, with both / without: **${value}** (goal <= 1.3: ${value <= 1.3 ? 'met' : '**not met**'}). Labels against a 4th feature view of the same shape: **${againstFourth}**.`,
  ].join('\n');
  writeResults('training-set-vintage', result, md);
}
