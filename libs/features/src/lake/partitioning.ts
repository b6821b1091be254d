import { InvalidArgumentError } from '../errors/feature-store.error';
import { raw, sql, type Sql } from '../sql/sql';

/**
 * How much time one lake partition (`date=…` folder) holds. Intraday data fills a `day` with
 * many rows; a year of daily bars would be 250 tiny day folders, so daily bars go by `month`
 * (or `year`). The folder name is the period's start written to its precision:
 * `date=2024-03-15`, `date=2024-03`, `date=2024`.
 */
export const PARTITION_GRANULARITIES = ['day', 'month', 'year'] as const;
export type PartitionGranularity = (typeof PARTITION_GRANULARITIES)[number];

/** Datasets declared before partition sizing existed are `day`: their lake keeps its layout. */
export const LEGACY_GRANULARITY: PartitionGranularity = 'day';

const FORMATS: Record<PartitionGranularity, string> = { day: '%Y-%m-%d', month: '%Y-%m', year: '%Y' };

/** Parses a declared granularity; a 400 naming `field` for anything else. */
export function parseGranularity(value: unknown, field: string): PartitionGranularity {
  if (typeof value === 'string' && (PARTITION_GRANULARITIES as readonly string[]).includes(value)) return value as PartitionGranularity;
  throw new InvalidArgumentError(`${field} must be one of ${PARTITION_GRANULARITIES.join(', ')}, got ${JSON.stringify(value)}`, { field });
}

/** The default for bars of `intervalSeconds` (unknown: intraday is assumed, the safe side for big data). */
export function defaultGranularity(intervalSeconds: number | null): PartitionGranularity {
  return intervalSeconds !== null && intervalSeconds >= 86_400 ? 'month' : 'day';
}

/** SQL for the partition value (`2024-03`…) of the timestamp expression `ts`. */
export function partitionValueSql(ts: Sql, granularity: PartitionGranularity): Sql {
  return sql`strftime(${ts}, ${raw(`'${FORMATS[granularity]}'`)})`;
}

/** The partition value holding the UTC day `day` (YYYY-MM-DD). */
export function partitionOfDay(day: string, granularity: PartitionGranularity): string {
  return granularity === 'day' ? day : granularity === 'month' ? day.slice(0, 7) : day.slice(0, 4);
}

/**
 * A filter on the hive `date` column (read as text) keeping the partitions that may hold days in
 * [fromDay, toDay]: it works for every granularity at once, so a lake being rewritten from one
 * layout to another is pruned correctly too. The days are program-formatted YYYY-MM-DD.
 */
export function partitionFilterText(fromDay: string | undefined, toDay: string): string {
  const out: string[] = [];
  if (fromDay) out.push(`date >= left('${fromDay}', length(date))`);
  out.push(`date <= left('${toDay}', length(date))`);
  return out.join(' AND ');
}

/** The first and last UTC day a partition value covers. */
export function partitionDays(value: string): { first: string; last: string } | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return { first: value, last: value };
  if (/^\d{4}-\d{2}$/.test(value)) {
    const [y, m] = value.split('-').map(Number);
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    return { first: `${value}-01`, last };
  }
  if (/^\d{4}$/.test(value)) return { first: `${value}-01-01`, last: `${value}-12-31` };
  return null;
}
