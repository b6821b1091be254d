import type { FeatureViewDefinition } from '../definitions/feature-definition';
import { ident, joinSql, raw, sql, type Sql } from '../sql/sql';

// Column lists shared by the materialisation, revision and online-refresh SQL.

/** The feature columns of `view`, read from `alias` and cast to their declared types. */
export function castFeatures(view: FeatureViewDefinition, alias: string): Sql {
  // Feature types come from the registry's enum of DuckDB type names.
  return joinSql(view.features.map((f) => sql`CAST(${raw(alias)}.${ident(f.name)} AS ${raw(f.type)}) AS ${ident(f.name)}`));
}

/** `a.k1 = b.k1 AND a.k2 = b.k2 …` over the key columns. */
export function keysEqual(keys: readonly string[], a: string, b: string): Sql {
  return joinSql(
    keys.map((k) => sql`${raw(a)}.${ident(k)} = ${raw(b)}.${ident(k)}`),
    ' AND ',
  );
}

/** The quoted key columns, each qualified by `alias` when given. */
export function columnList(keys: readonly string[], alias?: string): Sql {
  return joinSql(keys.map((k) => (alias ? sql`${raw(alias)}.${ident(k)}` : ident(k))));
}
