import { AVAILABLE_AT } from '../definitions/feature-definition';
import { ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { integer, outputIdent } from './output-column';

/** One label view version joined into a training set, with the labels taken from it. */
export interface LabelViewInput {
  readonly view: string;
  readonly version: number;
  /** Table expression over the version's offline rows (keys, event_ts, created_ts, labels, available_at). */
  readonly offline: Sql;
  readonly keys: readonly string[];
  readonly ttlSeconds: number | null;
  /** A TTL in sessions: the last instant a row with that event time is valid (as PitViewInput.ttlExpiry). */
  readonly ttlExpiry?: (eventTs: Sql) => Sql;
  /** [label column in the offline store, output column name]. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** The output column of the row's available_at: `view__available_at`. */
  readonly availableAtColumn: string;
  /** A column of the offline rows that orders rows with equal (keys, event_ts, created_ts): the file name (revision files sort last). */
  readonly tieBreak?: string;
}

/** The temporary table labelTableSql fills: `_row` and the label columns. */
export const LABEL_TABLE = '_labels';

/**
 * Creates LABEL_TABLE: per entity row (`_row`) of `entities`, the labels of the decision bar its
 * features see: the latest label row of its keys with event_ts <= t, within the label view's TTL
 * (as the point-in-time join's event rule), taken as stored now (a label completed or corrected
 * later by a revision wins: its file sorts last). A label whose available_at is after `cutoff`
 * (or not known at all) was not known when the set was made: it and its available_at are null.
 * `created_ts` is no rule here: a label depends on bars after its row, so only available_at says
 * when it became known.
 */
export function labelTableSql(entities: string, entityTs: string, views: readonly LabelViewInput[], cutoff: Date): Sql {
  const table = ident(entities, 'entities');
  const ts = ident(entityTs, 'timestampColumn');
  const cut = sql`CAST(${cutoff} AS TIMESTAMPTZ)`;
  const ctes: Sql[] = [];
  const joins: Sql[] = [];
  const outputs: Sql[] = [];
  views.forEach((v, i) => {
    const keyCols = joinSql(v.keys.map((k) => ident(k)));
    const cte = raw(`lr${i}`);
    const l = raw(`l${i}`);
    const order = v.tieBreak ? sql`created_ts DESC, ${ident(v.tieBreak)} DESC` : raw('created_ts DESC');
    const columns = joinSql([...v.labels.map(([c]) => ident(c)), ident(AVAILABLE_AT)]);
    // One row per (keys, event_ts), and nothing after the latest entity time.
    ctes.push(sql`${cte} AS (
  SELECT ${keyCols}, event_ts, ${columns} FROM ${v.offline}
  WHERE event_ts <= (SELECT max(${ts}) FROM ${table})
  QUALIFY row_number() OVER (PARTITION BY ${keyCols}, event_ts ORDER BY ${order}) = 1
)`);
    const on = joinSql(v.keys.map((k) => sql`e.${ident(k)} = ${l}.${ident(k)}`), ' AND ');
    joins.push(sql`ASOF LEFT JOIN ${cte} AS ${l} ON ${on} AND e.${ts} >= ${l}.event_ts`);
    const fresh = v.ttlExpiry
      ? sql`e.${ts} <= ${v.ttlExpiry(sql`${l}.event_ts`)}`
      : v.ttlSeconds === null
        ? raw('TRUE')
        : sql`${l}.event_ts >= e.${ts} - to_seconds(${integer(v.ttlSeconds)})`;
    const known = sql`${fresh} AND ${l}.${ident(AVAILABLE_AT)} <= ${cut}`;
    for (const [label, output] of v.labels) outputs.push(sql`CASE WHEN ${known} THEN ${l}.${ident(label)} END AS ${outputIdent(output, 'labels')}`);
    outputs.push(sql`CASE WHEN ${known} THEN ${l}.${ident(AVAILABLE_AT)} END AS ${outputIdent(v.availableAtColumn, 'labels')}`);
  });
  return sql`CREATE OR REPLACE TEMP TABLE ${raw(LABEL_TABLE)} AS
WITH ${joinSql(ctes, ',\n')}
SELECT e._row, ${joinSql(outputs)}
FROM ${table} AS e
${joinSql(joins, '\n')}`;
}

/** A label version with no offline rows yet: an empty relation of the right columns. */
export function emptyLabelOffline(keys: readonly string[], labels: ReadonlyArray<readonly [string, string]>): Sql {
  const cols = [
    ...keys.map((k) => sql`NULL::VARCHAR AS ${ident(k)}`),
    raw('NULL::TIMESTAMPTZ AS event_ts'),
    raw('NULL::TIMESTAMPTZ AS created_ts'),
    // Label types come from the view definition, checked when it was applied.
    ...labels.map(([f, t]) => sql`NULL::${raw(t)} AS ${ident(f)}`),
    sql`NULL::TIMESTAMPTZ AS ${ident(AVAILABLE_AT)}`,
  ];
  return sql`(SELECT ${joinSql(cols)} WHERE false)`;
}
