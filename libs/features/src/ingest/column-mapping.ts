import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import { assertCompatible, INGESTED_AT, type ColumnSpec, type DatasetSchema } from '../datasets/dataset.schema';

export interface SourceColumn {
  readonly name: string;
  readonly type: string;
}

/** Where a dataset column's values come from: a source column or a constant (e.g. --symbol). */
export type ColumnOrigin = { readonly source: SourceColumn } | { readonly constant: string } | { readonly absent: true };

export interface ResolvedMapping {
  readonly columns: ReadonlyArray<{ readonly spec: ColumnSpec; readonly origin: ColumnOrigin }>;
  readonly ingestedAt?: SourceColumn;
  readonly ignored: readonly string[];
}

// Vendor spellings of the standard bar columns, after normalisation (lower case, _ for spaces).
const ALIASES: Record<string, string> = {
  date: 'ts', datetime: 'ts', timestamp: 'ts', time: 'ts', open_time: 'ts',
  ticker: 'symbol', instrument: 'symbol',
  o: 'open', h: 'high', l: 'low', c: 'close', v: 'volume', vol: 'volume',
  adjclose: 'adj_close', adjusted_close: 'adj_close',
};

/** Lower-cases a header and turns runs of other characters into `_` ("Adj Close" → "adj_close"). */
export function normaliseColumnName(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

/** Parses `--map ts=Date,close=Last` into {target: source}. */
export function parseMappingOption(text: string | undefined): Record<string, string> {
  if (!text) return {};
  const mapping: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [target, source] = pair.split('=').map((s) => s?.trim());
    if (!target || !source) {
      throw new InvalidArgumentError(`map: expected target=source pairs, got ${JSON.stringify(pair)}`, { field: 'map' });
    }
    mapping[target] = source;
  }
  return mapping;
}

/**
 * Matches the source's columns to the dataset's: explicit mapping first, then exact names,
 * then normalised names and vendor aliases. Missing required columns are a MISSING_COLUMN error.
 */
export function resolveMapping(
  schema: DatasetSchema,
  source: readonly SourceColumn[],
  explicit: Readonly<Record<string, string>>,
  constants: Readonly<Record<string, string | undefined>>,
): ResolvedMapping {
  const byName = new Map(source.map((c) => [c.name, c]));
  const used = new Set<string>();
  for (const [target, from] of Object.entries(explicit)) {
    if (!schema.columns.some((c) => c.name === target) && target !== INGESTED_AT) {
      throw new InvalidArgumentError(`map: ${target} is not a column of dataset ${schema.name}`, { field: 'map' });
    }
    if (!byName.has(from)) {
      throw new UnprocessableError(ErrorCode.MissingColumn, `map: the source has no column ${JSON.stringify(from)} (it has ${describeColumns(source)})`, {
        field: 'map',
      });
    }
  }
  const find = (target: string): SourceColumn | undefined => {
    const explicitName = explicit[target];
    if (explicitName) return byName.get(explicitName);
    if (byName.has(target)) return byName.get(target);
    return source.find((c) => {
      const n = normaliseColumnName(c.name);
      return !used.has(c.name) && (n === target || ALIASES[n] === target || ALIASES[n.replace(/_/g, '')] === target);
    });
  };
  const columns = schema.columns.map((spec) => {
    const constant = constants[spec.name];
    const found = find(spec.name) ?? (spec.name === schema.timestampColumn && spec.name !== 'ts' ? find('ts') : undefined);
    if (found && constant === undefined) {
      used.add(found.name);
      assertCompatible(spec, found.type, found.name);
      return { spec, origin: { source: found } as ColumnOrigin };
    }
    if (constant !== undefined) return { spec, origin: { constant } as ColumnOrigin };
    if (spec.required) {
      throw new UnprocessableError(
        ErrorCode.MissingColumn,
        `${spec.name}: no source column maps to it (the source has ${describeColumns(source)}); use --map ${spec.name}=<column>`,
        { field: spec.name },
      );
    }
    return { spec, origin: { absent: true } as ColumnOrigin };
  });
  const ingestedAt = find(INGESTED_AT);
  if (ingestedAt) used.add(ingestedAt.name);
  const ignored = source.map((c) => c.name).filter((n) => !used.has(n));
  return { columns, ingestedAt, ignored };
}

/** "a, b, c" for error messages, with long names and long lists cut short. */
function describeColumns(source: readonly SourceColumn[]): string {
  const names = source.slice(0, 20).map((c) => JSON.stringify(c.name.length > 40 ? `${c.name.slice(0, 40)}…` : c.name));
  return names.join(', ') + (source.length > 20 ? `, … (${source.length} columns)` : '');
}
