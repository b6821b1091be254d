import { quoteIdent, quoteLiteral } from '../sql/identifier';

/** One view version joined into a training set, with the features taken from it. */
export interface PitViewInput {
  readonly view: string;
  readonly version: number;
  /** Table expression over the version's offline rows (keys, event_ts, created_ts, features). */
  readonly offline: string;
  readonly keys: readonly string[];
  readonly ttlSeconds: number | null;
  /** [feature column in the offline store, output column name]. */
  readonly features: ReadonlyArray<readonly [string, string]>;
  /** True when the offline rows have at most one row per (keys, event_ts): no tie to settle. */
  readonly uniqueEventTimes: boolean;
  /**
   * Drop the offline rows outside every entity row's TTL window before building the timeline (a
   * hash join on keys and TTL-wide time buckets). Same answers either way; worth it when the
   * entity frame is small next to the offline rows (see TrainingSetService).
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
   * multiplies rows, and the ASOF JOIN is the better plan (see TrainingSetService).
   */
  readonly windowJoin?: boolean;
  /**
   * A column of the offline rows that orders rows with equal (event_ts, created_ts), the greatest
   * winning: the offline file's name, so that a revision's rows win over the rows they revise
   * (revision files sort after the others, later ones after earlier ones).
   */
  readonly tieBreak?: string;
}

export type PointInTimeMode = 'event' | 'knowledge';

/**
 * The point-in-time join, generated in one place. For an entity row (key k, time t) and each view
 * version, the candidates are the offline rows of k with t - ttl <= event_ts <= t (both bounds
 * inclusive, as Feast), in `knowledge` mode also created_ts <= t; the winner has the greatest
 * event_ts, ties to the greatest created_ts; no candidate gives nulls; one output row per entity
 * row, in request order.
 *
 * How: a row becomes usable at `avail` (event_ts, or in knowledge mode the later of event_ts and
 * created_ts). Per key, a timeline holds at each `avail` the winner among the rows usable by then
 * (a running arg_max over (event_ts, created_ts)); an ASOF JOIN picks the timeline entry with the
 * greatest avail <= t, and the TTL is checked on the winner's event_ts (an older winner than the
 * best one known cannot be within the TTL either).
 */
export function pointInTimeSql(entities: string, entityTs: string, views: readonly PitViewInput[], mode: PointInTimeMode): string {
  const ctes: string[] = [];
  const joins: string[] = [];
  const outputs: string[] = [];
  const windows = new Map<string, string>();
  const spines = new Map<string, string>();
  views.forEach((v, i) => {
    if (v.windowJoin && v.ttlSeconds !== null && v.ttlSeconds > 0) {
      windowJoin(entities, entityTs, v, i, mode, { ctes, joins, outputs, spines });
      return;
    }
    const keyCols = v.keys.map(quoteIdent);
    const payload = `{${['event_ts', ...v.features.map(([f]) => f)].map((c) => `${quoteLiteral(c)}: ${quoteIdent(c)}`).join(', ')}}`;
    // Only rows that can matter: nothing after the latest entity time, nothing older than the
    // earliest entity time minus the TTL (such a row is outside the TTL for every entity row).
    const bounds = [`event_ts <= (SELECT max(${quoteIdent(entityTs)}) FROM ${entities})`];
    if (v.ttlSeconds !== null) bounds.push(`event_ts >= (SELECT min(${quoteIdent(entityTs)}) FROM ${entities}) - to_seconds(${v.ttlSeconds})`);
    let rows = `(SELECT * FROM ${v.offline} WHERE ${bounds.join(' AND ')})`;
    if (v.prefilter && v.ttlSeconds !== null && v.ttlSeconds > 0) {
      // Time cut into buckets one TTL wide: an entity row at t can only use rows of its key in
      // t's bucket or the one before (t - ttl <= event_ts <= t). The rows of other buckets are
      // either outside every TTL window or never the latest usable row of a window they could
      // fall in (that row is in the window, so kept), in either mode: dropping them changes no
      // answer, and a sparse entity frame sorts far fewer rows. Exact integer microseconds.
      const bucket = (ts: string) => ttlBucket(ts, v.ttlSeconds!);
      const id = `${v.keys.join(',')}|${v.ttlSeconds}`;
      if (!windows.has(id)) {
        const name = `win${windows.size}`;
        windows.set(id, name);
        const b = bucket(`${quoteIdent(entityTs)}`);
        ctes.push(`${name} AS (SELECT DISTINCT ${keyCols.join(', ')}, ${b} AS _b FROM ${entities} UNION SELECT DISTINCT ${keyCols.join(', ')}, ${b} - 1 AS _b FROM ${entities})`);
      }
      const name = windows.get(id)!;
      rows = `(SELECT o.* FROM ${v.offline} AS o JOIN ${name} AS w ON ${keyCols.map((k) => `w.${k} = o.${k}`).join(' AND ')} AND w._b = ${bucket('o.event_ts')}
   WHERE ${bounds.map((b) => b.replace(/^event_ts/, 'o.event_ts')).join(' AND ')})`;
    }
    // Where the winner's event time and features are read from in the joined timeline entry.
    let winner = (column: string) => `t${i}.best.${quoteIdent(column)}`;
    let availColumn = 'avail';
    if (mode === 'event' && v.uniqueEventTimes) {
      // One row per event time: the rows themselves are the timeline, read as plain columns
      // (no per-row struct), as a hand-written ASOF JOIN would.
      ctes.push(`tl${i} AS (SELECT ${[...keyCols, 'event_ts', ...v.features.map(([f]) => quoteIdent(f))].join(', ')} FROM ${rows})`);
      winner = (column: string) => `t${i}.${quoteIdent(column)}`;
      availColumn = 'event_ts';
    } else if (mode === 'event') {
      // Usable from event_ts on: the best row at each event time is that time's row (ties to
      // the greatest created_ts), so the timeline is a plain aggregate, no running window.
      ctes.push(`tl${i} AS (
  SELECT ${keyCols.join(', ')}, event_ts AS avail, arg_max(${payload}, ${v.tieBreak ? `{'c': created_ts, 'f': ${quoteIdent(v.tieBreak)}}` : 'created_ts'}) AS best
  FROM ${rows} GROUP BY ${keyCols.join(', ')}, event_ts
)`);
    } else {
      const avail = 'greatest(event_ts, created_ts)';
      ctes.push(`tl${i} AS (
  SELECT DISTINCT ON (${keyCols.join(', ')}, avail) ${keyCols.join(', ')}, avail, best
  FROM (SELECT ${keyCols.join(', ')}, ${avail} AS avail,
          arg_max(${payload}, {'e': event_ts, 'c': created_ts${v.tieBreak ? `, 'f': ${quoteIdent(v.tieBreak)}` : ''}}) OVER (PARTITION BY ${keyCols.join(', ')} ORDER BY ${avail} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS best
        FROM ${rows})
)`);
    }
    const on = keyCols.map((k) => `e.${k} = t${i}.${k}`).join(' AND ');
    joins.push(`ASOF LEFT JOIN tl${i} AS t${i} ON ${on} AND e.${quoteIdent(entityTs)} >= t${i}.${availColumn}`);
    const fresh = v.ttlSeconds === null ? 'TRUE' : `${winner('event_ts')} >= e.${quoteIdent(entityTs)} - to_seconds(${v.ttlSeconds})`;
    for (const [feature, output] of v.features) {
      outputs.push(`CASE WHEN ${fresh} THEN ${winner(feature)} END AS ${quoteIdent(output)}`);
    }
  });
  return `WITH ${ctes.join(',\n')}
SELECT e.* EXCLUDE (_row), ${outputs.join(', ')}
FROM ${entities} AS e
${joins.join('\n')}
ORDER BY e._row`;
}

// TTL-wide time buckets, in exact integer microseconds (floor division, also before 1970).
function ttlBucket(ts: string, ttlSeconds: number): string {
  const width = ttlSeconds * 1_000_000;
  return `(epoch_us(${ts}) // ${width} - CASE WHEN epoch_us(${ts}) % ${width} < 0 THEN 1 ELSE 0 END)`;
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
function windowJoin(
  entities: string,
  entityTs: string,
  v: PitViewInput,
  i: number,
  mode: PointInTimeMode,
  out: { ctes: string[]; joins: string[]; outputs: string[]; spines: Map<string, string> },
): void {
  const ttl = v.ttlSeconds!;
  const keyCols = v.keys.map(quoteIdent);
  const ts = quoteIdent(entityTs);
  const id = `${v.keys.join(',')}|${ttl}`;
  if (!out.spines.has(id)) {
    const name = `eb${out.spines.size}`;
    out.spines.set(id, name);
    const b = ttlBucket(ts, ttl);
    const cols = [...keyCols, `${ts} AS _t`, '_row'].join(', ');
    out.ctes.push(`${name} AS (SELECT ${cols}, ${b} AS _b FROM ${entities} UNION ALL SELECT ${cols}, ${b} - 1 AS _b FROM ${entities})`);
  }
  const spine = out.spines.get(id)!;
  // The winner's features (the rules are applied before: nothing else of it is needed).
  const payload = `{${v.features.map(([f]) => `${quoteLiteral(f)}: o.${quoteIdent(f)}`).join(', ')}}`;
  const rules = [`o.event_ts <= s._t`, `o.event_ts >= s._t - to_seconds(${ttl})`];
  if (mode === 'knowledge') rules.push('o.created_ts <= s._t');
  // The winner: the greatest (event_ts, created_ts[, tie-break]); with one row per (keys,
  // event_ts), event_ts alone orders the candidates (a plain timestamp compares faster than a struct).
  const order = v.uniqueEventTimes ? 'o.event_ts' : `{'e': o.event_ts, 'c': o.created_ts${v.tieBreak ? `, 'f': o.${quoteIdent(v.tieBreak)}` : ''}}`;
  out.ctes.push(`tl${i} AS (
  SELECT s._row, arg_max(${payload}, ${order}) AS best
  FROM ${spine} AS s JOIN ${v.offline} AS o ON ${keyCols.map((k) => `o.${k} = s.${k}`).join(' AND ')} AND ${ttlBucket('o.event_ts', ttl)} = s._b
  WHERE ${rules.join(' AND ')}
  GROUP BY s._row
)`);
  out.joins.push(`LEFT JOIN tl${i} AS t${i} ON t${i}._row = e._row`);
  for (const [feature, output] of v.features) out.outputs.push(`t${i}.best.${quoteIdent(feature)} AS ${quoteIdent(output)}`);
}
