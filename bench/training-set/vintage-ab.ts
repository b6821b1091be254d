import { join } from 'node:path';
import { applyCatalog, fileLiteral, marketCatalog, sql, type CreateTrainingSetCommand, type FeatureStore } from '@app/features';
import { timed } from '../support/measure';
import { commandLine, machine, ratio, writeResults } from '../support/report';
import { median } from '../support/stats';
import { frameCommand } from './setup';

const LABEL: Record<string, string> = { plain: 'without', knownAt: 'knownAt only', labels: '2 labels only', vintage: 'knownAt + 2 labels' };

/** Two label columns of the catalog's label view, as the goal asks. */
export const LABELS = ['forward_returns:fwd_ret_1d', 'forward_returns:fwd_ret_5d'];

/**
 * `--vintage`: the same 1M-row set without and with a `knownAt` (the newest created_ts: every row
 * is filtered, none dropped) and two label columns, alternating `repeat` times in one run (issue 16's
 * goal: at most 1.3x). The label view is applied and materialised before the first timed run.
 */
export async function runVintageAb(store: FeatureStore, bytes: Buffer, repeat: number, args: readonly string[]): Promise<void> {
  await applyCatalog(store.features, marketCatalog);
  console.error('materialising forward_returns …');
  const warm = await timed(() => store.materializer.run({ view: 'forward_returns' }));
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
  const result = { command: commandLine('training-set', args), machine: machine(), knownAt: knownAt.toISOString(), labels: LABELS, labelMaterialiseMs: Math.round(warm.ms), runs, ratioOfMedians: value, goal: { target: '<= 1.3', met: value <= 1.3 } };
  const md = [
    `# Training sets with knownAt and labels vs without (${new Date().toISOString()})`,
    '',
    `Command: \`${result.command}\`; machine: ${JSON.stringify(result.machine)}. The same entity frame and 10 features; the other sides add \`knownAt\` ${result.knownAt} (the newest created_ts: every row filtered, none dropped), the labels ${LABELS.join(', ')}, or both. ${repeat} runs per side, in a rotating order per round. forward_returns was materialised first (${result.labelMaterialiseMs} ms, not in the figures).`,
    '',
    '| side | median ms | runs ms | / without |',
    '| --- | ---: | --- | ---: |',
    ...sides.map(([name]) => `| ${LABEL[name]} | ${median(runs[name])} | ${runs[name].join(', ')} | ${ratio(median(runs[name]), median(runs.plain))} |`),
    '',
    `Ratio of medians, with both / without: **${value}** (goal <= 1.3: ${value <= 1.3 ? 'met' : '**not met**'}).`,
  ].join('\n');
  writeResults('training-set-vintage', result, md);
}
