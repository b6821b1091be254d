import { InvalidArgumentError } from '../errors/feature-store.error';
import { raw, type Sql } from '../sql/sql';

// An output column of a training set: `view__feature`, `view@N__feature` (feature-ref.resolver.ts)
// or a label view's `view__label` / `view__available_at`, built from checked names and checked
// again here because it is written into the SQL.
const OUTPUT_COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,62}(?:@[0-9]{1,9})?__[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The quoted output column `name`; a name of another form is a 400 naming `field`. */
export function outputIdent(name: string, field: 'features' | 'labels'): Sql {
  if (!OUTPUT_COLUMN.test(name)) throw new InvalidArgumentError(`${field}: ${JSON.stringify(name)} is not an output column name`, { field });
  return raw(`"${name}"`);
}

/**
 * A whole number from a view definition (a TTL), written into the SQL: a bound JS number would
 * reach DuckDB as INTEGER or DOUBLE by its size and make time arithmetic inexact, and a checked
 * integer cannot carry SQL.
 */
export function integer(n: number): Sql {
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`ttl: ${n} is not a whole number of seconds`, { field: 'ttl' });
  return raw(String(n));
}
