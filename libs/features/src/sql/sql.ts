import { listValue, structValue, timestampTZValue, type DuckDBValue } from '@duckdb/node-api';
import { InvalidArgumentError } from '../errors/feature-store.error';
import { assertIdentifier } from './identifier';

/**
 * A value that a query binds as a parameter: never written into the SQL text. An object of
 * strings binds as a STRUCT (e.g. the column types a reader takes: `types = ${{ Close: 'DOUBLE' }}`).
 */
export type SqlValue = string | number | bigint | boolean | null | Date | readonly (string | number | null)[] | SqlStruct;

/** A STRUCT of text fields, keyed by field name. */
export type SqlStruct = { readonly [field: string]: string };

type Part = { readonly text: string } | { readonly value: SqlValue };

/**
 * A piece of SQL whose values are kept apart from its text. Built with the `sql` tag; fragments
 * nest (`sql\`… WHERE ${condition}\``) and are numbered only when the whole query is rendered,
 * so a fragment never has to know how many parameters come before it.
 */
export class Sql {
  /** @internal */
  constructor(readonly parts: readonly Part[]) {}

  /** The text with `$1, $2, …` placeholders and the values in the same order, for DuckDB. */
  render(): { readonly text: string; readonly params: DuckDBValue[] } {
    let text = '';
    const params: DuckDBValue[] = [];
    for (const part of this.parts) {
      if ('text' in part) text += part.text;
      else {
        params.push(toDuckDb(part.value));
        text += `$${params.length}`;
      }
    }
    return { text, params };
  }

  /** The SQL text for logs and tests (placeholders, no values). */
  toString(): string {
    return this.render().text;
  }
}

/**
 * Tagged template for SQL: every interpolated value becomes a bound parameter; an interpolated
 * `Sql` (another `sql` fragment, `ident()`, `raw()`, `joinSql()`) is inlined as SQL.
 */
export function sql(strings: TemplateStringsArray, ...values: ReadonlyArray<SqlValue | Sql>): Sql {
  const parts: Part[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push({ text });
    if (i < values.length) {
      const value = values[i];
      if (value instanceof Sql) parts.push(...value.parts);
      else parts.push({ value });
    }
  });
  return new Sql(parts);
}

/** An identifier (dataset, view, feature, column name), checked against the whitelist and quoted. */
export function ident(name: string, field = 'identifier'): Sql {
  assertIdentifier(name, field);
  return new Sql([{ text: `"${name}"` }]);
}

/**
 * SQL text the program wrote itself (a generated expression, a keyword chosen from an enum) or
 * that a checker already accepted (a feature view's SQL after the sandbox). Never a request value.
 */
export function raw(text: string): Sql {
  return new Sql([{ text }]);
}

/** Joins fragments with a separator (`, ` by default). */
export function joinSql(fragments: readonly Sql[], separator = ', '): Sql {
  const parts: Part[] = [];
  fragments.forEach((f, i) => {
    if (i > 0) parts.push({ text: separator });
    parts.push(...f.parts);
  });
  return new Sql(parts);
}

/**
 * A file path written as a literal: the one place a string goes into SQL text, because DuckDB
 * takes no parameter for a `COPY … TO` target (and the paths are ours: lake, offline, staging).
 */
export function fileLiteral(path: string): Sql {
  if (path.includes('\0')) throw new InvalidArgumentError('a file path contains a NUL byte', { field: 'path' });
  return new Sql([{ text: `'${path.replace(/'/g, "''")}'` }]);
}

/** A list of file paths as a DuckDB list literal, for `read_parquet([...])`. */
export function fileListLiteral(paths: readonly string[]): Sql {
  return sql`[${joinSql(paths.map(fileLiteral))}]`;
}

function toDuckDb(value: SqlValue): DuckDBValue {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new InvalidArgumentError('an invalid date cannot be bound as a parameter', { field: 'time' });
    return timestampTZValue(BigInt(ms) * 1000n);
  }
  if (Array.isArray(value)) return listValue(value.map((v) => v as DuckDBValue));
  if (value !== null && typeof value === 'object') return structValue({ ...(value as SqlStruct) });
  return value as DuckDBValue;
}
