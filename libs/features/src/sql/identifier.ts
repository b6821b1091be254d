import { InvalidArgumentError } from '../errors/feature-store.error';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True when `name` is a plain identifier we accept for datasets, columns, views and features. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Throws an InvalidArgumentError naming `field` unless `name` is a plain identifier. */
export function assertIdentifier(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || !isIdentifier(name)) {
    throw new InvalidArgumentError(
      `${field} must match ${IDENTIFIER.source} (letters, digits, underscore; not starting with a digit), got ${JSON.stringify(name)}`,
      { field },
    );
  }
}

/** Quotes an identifier for DuckDB after checking it against the whitelist pattern. */
export function quoteIdent(name: string): string {
  assertIdentifier(name, 'identifier');
  return `"${name}"`;
}

/** Quotes any column name found in a source file (e.g. "Adj Close"), escaping embedded quotes. */
export function quoteSourceColumn(name: string): string {
  if (name.includes('\0')) throw new InvalidArgumentError('a source column name contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}
