import { parseDuration, parseGranularity, type PartitionGranularity } from '@app/features';

export const USAGE = `usage: npm run compact -- [<dataset|view> ...] [options]

Merges the small files of a dataset's lake partitions, or of a feature view's offline store
(each version's small parts, per month), into sorted files of the target size. Every row version
is kept with its own ingested_at / created_ts, so every answer (event, knowledge, knownAt,
digests) is the same after. Without a name: every dataset and every view. --partition, --only and
--retention apply to datasets only.

  --partition day|month|year   rewrite a dataset into this partition granularity (and use it for
                               new batches); e.g. a lake of daily bars written day by day
  --only <value>               only this partition (2024-03, 2024-03-15, ...); repeatable
  --retention <duration>       drop row versions superseded more than <duration> ago (e.g. 365d);
                               a knownAt before that horizon is refused from then on
  --target-mb <n>              target file size in MiB (LAKE_TARGET_FILE_MB, default 128)
  --target-rows <n>            target rows per file (LAKE_TARGET_FILE_ROWS, default 5,000,000)
  --min-files <n>              compact a partition from this many small files (default 2)
  --json                       print the report as JSON`;

export interface CompactCommand {
  readonly names: readonly string[];
  readonly repartition?: PartitionGranularity;
  readonly only: readonly string[];
  readonly retention?: string;
  readonly targetBytes?: number;
  readonly targetRows?: number;
  readonly minSmallFiles?: number;
  readonly json: boolean;
  readonly help: boolean;
}

/** Parses the arguments of `npm run compact`; throws naming the bad option. */
export function parseCompactArgs(argv: readonly string[]): CompactCommand {
  const names: string[] = [];
  const only: string[] = [];
  let repartition: PartitionGranularity | undefined;
  let retention: string | undefined;
  let targetBytes: number | undefined;
  let targetRows: number | undefined;
  let minSmallFiles: number | undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    const count = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${arg} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      return n;
    };
    if (arg === '--partition') repartition = parseGranularity(value(), '--partition');
    else if (arg === '--only') only.push(value());
    else if (arg === '--retention') retention = parseDuration(value(), '--retention').text;
    else if (arg === '--target-mb') targetBytes = count(1) * 1024 * 1024;
    else if (arg === '--target-rows') targetRows = count(1);
    else if (arg === '--min-files') minSmallFiles = count(2);
    else if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else names.push(arg);
  }
  return { names, repartition, only, retention, targetBytes, targetRows, minSmallFiles, json, help };
}
