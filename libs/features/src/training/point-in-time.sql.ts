import { AVAILABLE_AT } from '../definitions/feature-definition';
import { ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { integer, outputIdent } from './output-column';

/** One view version joined into a training set, with the features taken from it. */
export interface PitViewInput {
  readonly view: string;
  readonly version: number;
  /** Table expression over the version's offline rows (keys, event_ts, created_ts, features). */
  readonly offline: Sql;
  readonly keys: readonly string[];
  readonly ttlSeconds: number | null;
  /**
   * A TTL counted in trading sessions: SQL for the last instant a row with that event time is
   * valid (see calendar/session-span.ts). Then a row is fresh at t when t <= ttlExpiry(event_ts),
   * and `ttlSeconds` is only the longest such life, the width of the windows that prune rows.
   */
  readonly ttlExpiry?: (eventTs: Sql) => Sql;
  /** [feature column in the offline store, output column name]. */
  readonly features: ReadonlyArray<readonly [string, string]>;
  /** True when the offline rows have at most one row per (keys, event_ts): no tie to settle. */
  readonly uniqueEventTimes: boolean;
  /**
   * Drop the offline rows outside every entity row's TTL window before building the timeline (a
   * hash join on keys and TTL-wide time buckets). Same answers either way; worth it when the
   * entity frame is small next to the offline rows (see training-set.planner.ts).
   */
  readonly prefilter?: boolean;
  /**
   * Answer with a TTL-window join instead of the ASOF JOIN (needs a TTL > 0): each entity row is
   * hash-joined with the offline rows of its keys in its own TTL-wide time bucket and the one
   * before, the rules are applied as written (t - ttl <= event_ts <= t, in knowledge mode
   * created_ts <= t) and the winner taken per entity row with arg_max over (event_ts, created_ts)
   * (event_ts alone when `uniqueEventTimes`).
   * No sort of the offline rows and little memory: they stream through the join. Worth it when a
   * TTL window holds few offline rows of a key (e.g. daily bars and a TTL of days); with many it
   * multiplies rows, and the ASOF JOIN is the better plan (see training-set.planner.ts).
   */
  readonly windowJoin?: boolean;
  /**
   * A column of the offline rows that orders rows with equal (event_ts, created_ts), the greatest
   * winning: the offline file's name, so that a revision's rows win over the rows they revise
   * (revision files sort after the others, later ones after earlier ones).
   */
  readonly tieBreak?: string;
  /**
   * A label view version (kind "label"), whose offline rows also carry LABEL_KNOWN: joined in
   * event mode whatever the set's mode (a label belongs to the decision bar the features see).
   * Of that bar's row versions the newest one whose labels were known by this instant (the
   * set's vintage) wins, and its outputs, available_at among them, are null unless both its
   * LABEL_KNOWN and its available_at are at or before it: a label not matured then, or
   * completed or corrected by bars the store got later, was not known.
   */
  readonly maturedBy?: Date;
}

/** The column of a label view's offline relation that says when its labels became known (label_created_ts). */
export const LABEL_KNOWN = '_label_known';

export type PointInTimeMode = 'event' | 'knowledge';

// Generated SQL shared by the views of one query (keyed by keys and TTL).
interface Shared {
  readonly ctes: Sql[];
  readonly joins: Sql[];
  readonly outputs: Sql[];
  readonly windows: Map<string, string>;
  readonly spines: Map<string, string>;
}

/**
 * The point-in-time join, generated in one place. For an entity row (key k, time t) and each view
 * version, the candidates are the offline rows of k with t - ttl <= event_ts <= t (both bounds
 * inclusive, as Feast), in `knowledge` mode also created_ts <= t; the winner has the greatest
 * event_ts, ties to the greatest created_ts; no candidate gives nulls; one output row per entity
 * row, in request order. `entities` is a table with the entity rows and `_row` (request order).
 * With `knownAt`, only rows with created_ts <= knownAt are candidates (a vintage).
 *
 * How: a row becomes usable at `avail` (event_ts, or in knowledge mode the later of event_ts and
 * created_ts). Per key, a timeline holds at each `avail` the winner among the rows usable by then
 * (a running arg_max over (event_ts, created_ts)); an ASOF JOIN picks the timeline entry with the
 * greatest avail <= t, and the TTL is checked on the winner's event_ts (an older winner than the
 * best one known cannot be within the TTL either).
 */
export function pointInTimeSql(
  entities: string,
  entityTs: string,
  views: readonly PitViewInput[],
  mode: PointInTimeMode,
  knownAt: Date | null = null,
): Sql {
  const out: Shared = { ctes: [], joins: [], outputs: [], windows: new Map(), spines: new Map() };
  const table = ident(entities, 'entities');
  const ts = ident(entityTs, 'timestampColumn');
  // The vintage: rows created after knownAt are dropped before any plan sees them, so every plan
  // and both modes answer as of knownAt (knowledge mode: created_ts <= min(t, knownAt) per row).
  const known = knownAt ? views.map((v) => ({ ...v, offline: sql`(SELECT * FROM ${v.offline} WHERE created_ts <= ${knownAt})` })) : views;
  known.forEach((v, i) => {
    const viewMode = v.maturedBy ? 'event' : mode;
    if (v.windowJoin && v.ttlSeconds !== null && v.ttlSeconds > 0) windowJoin(table, ts, v, i, viewMode, out);
    else asofJoin(table, ts, v, i, viewMode, out);
  });
  return sql`WITH ${joinSql(out.ctes, ',\n')}
SELECT e.* EXCLUDE (_row), ${joinSql(out.outputs)}
FROM ${table} AS e
${joinSql(out.joins, '\n')}
ORDER BY e._row`;
}

// One view version by a timeline per key and an ASOF JOIN (see pointInTimeSql).
function asofJoin(table: Sql, ts: Sql, v: PitViewInput, i: number, mode: PointInTimeMode, out: Shared): void {
  const keyCols = joinSql(v.keys.map((k) => ident(k)));
  const t = raw(`t${i}`);
  const tl = raw(`tl${i}`);
  const payload = struct(['event_ts', ...carried(v)], (c) => ident(c));
  // Only rows that can matter: nothing after the latest entity time, nothing older than the
  // earliest entity time minus the TTL (such a row is outside the TTL for every entity row).
  const bounds = (eventTs: Sql) => {
    const list = [sql`${eventTs} <= (SELECT max(${ts}) FROM ${table})`];
    if (v.ttlSeconds !== null) list.push(sql`${eventTs} >= (SELECT min(${ts}) FROM ${table}) - to_seconds(${integer(v.ttlSeconds)})`);
    return joinSql(list, ' AND ');
  };
  let rows = sql`(SELECT * FROM ${v.offline} WHERE ${bounds(raw('event_ts'))})`;
  if (v.prefilter && v.ttlSeconds !== null && v.ttlSeconds > 0) {
    // Time cut into buckets one TTL wide: an entity row at t can only use rows of its key in
    // t's bucket or the one before (t - ttl <= event_ts <= t). The rows of other buckets are
    // either outside every TTL window or never the latest usable row of a window they could
    // fall in (that row is in the window, so kept), in either mode: dropping them changes no
    // answer, and a sparse entity frame sorts far fewer rows. Exact integer microseconds.
    const id = `${v.keys.join(',')}|${v.ttlSeconds}`;
    if (!out.windows.has(id)) {
      const name = `win${out.windows.size}`;
      out.windows.set(id, name);
      const b = ttlBucket(ts, v.ttlSeconds);
      out.ctes.push(sql`${raw(name)} AS (SELECT DISTINCT ${keyCols}, ${b} AS _b FROM ${table} UNION SELECT DISTINCT ${keyCols}, ${b} - 1 AS _b FROM ${table})`);
    }
    const on = joinSql(v.keys.map((k) => sql`w.${ident(k)} = o.${ident(k)}`), ' AND ');
    rows = sql`(SELECT o.* FROM ${v.offline} AS o JOIN ${raw(out.windows.get(id)!)} AS w ON ${on} AND w._b = ${ttlBucket(raw('o.event_ts'), v.ttlSeconds)}
   WHERE ${bounds(raw('o.event_ts'))})`;
  }
  // Where the winner's event time and features are read from in the joined timeline entry.
  let winner = (column: string) => sql`${t}.best.${ident(column)}`;
  let availColumn = raw('avail');
  if (mode === 'event' && v.uniqueEventTimes) {
    // One row per event time: the rows themselves are the timeline, read as plain columns
    // (no per-row struct), as a hand-written ASOF JOIN would.
    out.ctes.push(sql`${tl} AS (SELECT ${keyCols}, event_ts, ${joinSql(carried(v).map((f) => ident(f)))} FROM ${rows})`);
    winner = (column: string) => sql`${t}.${ident(column)}`;
    availColumn = raw('event_ts');
  } else if (mode === 'event') {
    // Usable from event_ts on: the best row at each event time is that time's row (ties to
    // the greatest created_ts), so the timeline is a plain aggregate, no running window.
    const byTime = v.tieBreak ? sql`'c': created_ts, 'f': ${ident(v.tieBreak)}` : raw(`'c': created_ts`);
    // A label's versions: first those known by the cutoff, then the newest.
    const order = v.maturedBy ? sql`{'k': ${ident(LABEL_KNOWN)} <= ${cutoff(v.maturedBy)}, ${byTime}}` : v.tieBreak ? sql`{${byTime}}` : raw('created_ts');
    out.ctes.push(sql`${tl} AS (
  SELECT ${keyCols}, event_ts AS avail, arg_max(${payload}, ${order}) AS best
  FROM ${rows} GROUP BY ${keyCols}, event_ts
)`);
  } else {
    const avail = raw('greatest(event_ts, created_ts)');
    const order = v.tieBreak ? sql`{'e': event_ts, 'c': created_ts, 'f': ${ident(v.tieBreak)}}` : raw(`{'e': event_ts, 'c': created_ts}`);
    out.ctes.push(sql`${tl} AS (
  SELECT DISTINCT ON (${keyCols}, avail) ${keyCols}, avail, best
  FROM (SELECT ${keyCols}, ${avail} AS avail,
          arg_max(${payload}, ${order}) OVER (PARTITION BY ${keyCols} ORDER BY ${avail} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS best
        FROM ${rows})
)`);
  }
  const on = joinSql(v.keys.map((k) => sql`e.${ident(k)} = ${t}.${ident(k)}`), ' AND ');
  out.joins.push(sql`ASOF LEFT JOIN ${tl} AS ${t} ON ${on} AND e.${ts} >= ${t}.${availColumn}`);
  const fresh = v.ttlExpiry
    ? sql`e.${ts} <= ${v.ttlExpiry(winner('event_ts'))}`
    : v.ttlSeconds === null
      ? raw('TRUE')
      : sql`${winner('event_ts')} >= e.${ts} - to_seconds(${integer(v.ttlSeconds)})`;
  const usable = v.maturedBy ? sql`${fresh} AND ${matured(winner, v.maturedBy)}` : fresh;
  for (const [feature, output] of v.features) out.outputs.push(sql`CASE WHEN ${usable} THEN ${winner(feature)} END AS ${outputIdent(output, 'features')}`);
}

/**
 * One view version by a TTL-window join (see PitViewInput.windowJoin). An entity row at t can
 * only use rows of its keys with t - ttl <= event_ts <= t, all in t's TTL-wide bucket or the one
 * before: so the entity rows are listed once per bucket (a small table, shared by the views of
 * one TTL), the offline rows are hash-joined on keys and bucket, the rules filter the candidates,
 * and arg_max keeps the greatest (event_ts, created_ts[, tie-break]) per entity row (event_ts alone
 * when the view version has one row per event time): the rules as written, no
 * timeline needed. A row without candidates finds no group and gets nulls from the LEFT JOIN.
 */
function windowJoin(table: Sql, ts: Sql, v: PitViewInput, i: number, mode: PointInTimeMode, out: Shared): void {
  const ttl = v.ttlSeconds!;
  const keyCols = v.keys.map((k) => ident(k));
  const t = raw(`t${i}`);
  const tl = raw(`tl${i}`);
  const id = `${v.keys.join(',')}|${ttl}`;
  if (!out.spines.has(id)) {
    const name = `eb${out.spines.size}`;
    out.spines.set(id, name);
    const b = ttlBucket(ts, ttl);
    const cols = joinSql([...keyCols, sql`${ts} AS _t`, raw('_row')]);
    out.ctes.push(sql`${raw(name)} AS (SELECT ${cols}, ${b} AS _b FROM ${table} UNION ALL SELECT ${cols}, ${b} - 1 AS _b FROM ${table})`);
  }
  const spine = raw(out.spines.get(id)!);
  // The winner's features (the rules are applied before: nothing else of it is needed).
  const payload = struct(carried(v), (f) => sql`o.${ident(f)}`);
  const rules = [raw('o.event_ts <= s._t'), sql`o.event_ts >= s._t - to_seconds(${integer(ttl)})`];
  if (v.ttlExpiry) rules.push(sql`s._t <= ${v.ttlExpiry(raw('o.event_ts'))}`);
  if (mode === 'knowledge') rules.push(raw('o.created_ts <= s._t'));
  // The winner: the greatest (event_ts, created_ts[, tie-break]); with one row per (keys,
  // event_ts), event_ts alone orders the candidates (a plain timestamp compares faster than a struct).
  const known = v.maturedBy ? sql`'k': o.${ident(LABEL_KNOWN)} <= ${cutoff(v.maturedBy)}, ` : raw('');
  const order = v.uniqueEventTimes
    ? raw('o.event_ts')
    : v.tieBreak
      ? sql`{'e': o.event_ts, ${known}'c': o.created_ts, 'f': o.${ident(v.tieBreak)}}`
      : sql`{'e': o.event_ts, ${known}'c': o.created_ts}`;
  const on = joinSql(keyCols.map((k) => sql`o.${k} = s.${k}`), ' AND ');
  out.ctes.push(sql`${tl} AS (
  SELECT s._row, arg_max(${payload}, ${order}) AS best
  FROM ${spine} AS s JOIN ${v.offline} AS o ON ${on} AND ${ttlBucket(raw('o.event_ts'), ttl)} = s._b
  WHERE ${joinSql(rules, ' AND ')}
  GROUP BY s._row
)`);
  out.joins.push(sql`LEFT JOIN ${tl} AS ${t} ON ${t}._row = e._row`);
  const read = (column: string) => sql`${t}.best.${ident(column)}`;
  for (const [feature, output] of v.features) {
    out.outputs.push(v.maturedBy ? sql`CASE WHEN ${matured(read, v.maturedBy)} THEN ${read(feature)} END AS ${outputIdent(output, 'features')}` : sql`${read(feature)} AS ${outputIdent(output, 'features')}`);
  }
}

// A label view's winner is usable when its available_at and the time its labels became known
// are both at or before the cutoff.
function matured(winner: (column: string) => Sql, by: Date): Sql {
  return sql`${winner(AVAILABLE_AT)} <= ${cutoff(by)} AND ${winner(LABEL_KNOWN)} <= ${cutoff(by)}`;
}

function cutoff(by: Date): Sql {
  return sql`CAST(${by} AS TIMESTAMPTZ)`;
}

// The offline columns a view's timeline carries to the output: its features (and a label's LABEL_KNOWN).
function carried(v: PitViewInput): string[] {
  return [...v.features.map(([f]) => f), ...(v.maturedBy ? [LABEL_KNOWN] : [])];
}

// A struct of named columns; struct_pack takes the field names as identifiers (no literals).
function struct(names: readonly string[], value: (name: string) => Sql): Sql {
  return sql`struct_pack(${joinSql(names.map((n) => sql`${ident(n)} := ${value(n)}`))})`;
}

// TTL-wide time buckets, in exact integer microseconds (floor division, also before 1970).
function ttlBucket(ts: Sql, ttlSeconds: number): Sql {
  const width = integer(ttlSeconds * 1_000_000);
  return sql`(epoch_us(${ts}) // ${width} - CASE WHEN epoch_us(${ts}) % ${width} < 0 THEN 1 ELSE 0 END)`;
}
