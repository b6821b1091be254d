import type { FeatureViewService } from '../definitions/feature-view.service';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { OnlineRow, OnlineStoreDriver } from '../online/online-store.driver';
import type { DefinitionRepository } from '../registry/definition.repository';
import { ident, joinSql, sql, type Sql } from '../sql/sql';
import type { OfflineVersionReader } from '../training/offline-version.reader';
import { currentOfflineRowsSql } from './drift.sql';

/** Most keys one consistency check takes. */
export const MAX_CONSISTENCY_KEYS = 1000;

type Value = number | boolean | string | null;

/** A row as the consistency answer shows it (online or offline). */
export interface ComparedRow {
  readonly eventTs: string;
  readonly createdTs: string;
  readonly values: Readonly<Record<string, Value>>;
}

/** Why a key's online row disagrees with the offline store. */
export type MismatchReason = 'value' | 'event_ts' | 'missing_online' | 'missing_offline';

export interface ConsistencyMismatch {
  readonly key: Readonly<Record<string, string>>;
  readonly reason: MismatchReason;
  readonly online: ComparedRow | null;
  readonly offline: ComparedRow | null;
  /** The features whose values differ between the two rows shown (every feature when one is missing). */
  readonly features: readonly string[];
}

/** The answer of GET …/consistency (docs/api.md). */
export interface ConsistencyReport {
  readonly view: string;
  readonly version: number;
  readonly checked: number;
  readonly mismatches: ConsistencyMismatch[];
}

/**
 * Online/offline consistency of a view version: each key's online row (as lookups read it,
 * TTL aside) against the current offline row of the same event time, and its event time against
 * the newest offline one, so that a broken stream refresh or a lost online write shows up.
 * A key neither store holds agrees (there is nothing to compare). Doubles agree within a
 * relative 1e-9; event times are compared to the millisecond.
 */
export class ConsistencyService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly features: Pick<FeatureViewService, 'getVersion'>,
    private readonly entities: Pick<DefinitionRepository, 'getEntity'>,
    private readonly offline: OfflineVersionReader,
    private readonly online: Pick<OnlineStoreDriver, 'read'>,
  ) {}

  /** Compares the online and offline rows of `keys` (values of the entity's one join key). */
  async check(view: string, version: number, keys: readonly string[]): Promise<ConsistencyReport> {
    const record = await this.features.getVersion(view, version);
    if (record.definition.kind === 'label') {
      throw new UnprocessableError(ErrorCode.LabelMisuse, `name: ${record.name} is a label view; labels are never online, so there is nothing to compare`, { field: 'name', view: record.name });
    }
    const joinKeys = (await this.entities.getEntity(record.definition.entity))?.joinKeys ?? [];
    if (joinKeys.length !== 1) {
      throw new InvalidArgumentError(`keys: ${record.name}'s entity ${record.definition.entity} has ${joinKeys.length} join keys; consistency checks take single-key entities`, { field: 'keys' });
    }
    const unique = [...new Set(keys)];
    if (unique.length === 0 || unique.some((k) => k === '')) throw new InvalidArgumentError('keys: a comma-separated list of non-empty keys is required', { field: 'keys' });
    if (unique.length > MAX_CONSISTENCY_KEYS) throw new InvalidArgumentError(`keys: ${unique.length} keys, at most ${MAX_CONSISTENCY_KEYS} per check`, { field: 'keys', limit: MAX_CONSISTENCY_KEYS });
    const [keyColumn] = joinKeys;
    const featureNames = record.definition.features.map((f) => f.name);
    const [onlineRows] = await this.online.read([{ view: record.name, version: record.version }], unique.map((k) => [k]));
    const onlineTimes = new Map(unique.flatMap((k, j) => (onlineRows[j] ? [[k, Date.parse(onlineRows[j]!.eventTs)] as const] : [])));
    const { newest, atOnlineTime } = await this.offlineRows(record.name, record.version, joinKeys, featureNames, unique, onlineTimes);
    const mismatches: ConsistencyMismatch[] = [];
    unique.forEach((k, j) => {
      const key = { [keyColumn]: k };
      const on = onlineRows[j] ? fromOnline(onlineRows[j]!, featureNames) : null;
      const off = newest.get(k) ?? null;
      if (!on && !off) return;
      if (!on) return void mismatches.push({ key, reason: 'missing_online', online: null, offline: off, features: featureNames });
      if (!off) return void mismatches.push({ key, reason: 'missing_offline', online: on, offline: null, features: featureNames });
      const same = atOnlineTime.get(k);
      const valueDiff = same ? differing(on, same, featureNames) : [];
      if (same && valueDiff.length > 0) mismatches.push({ key, reason: 'value', online: on, offline: same, features: valueDiff });
      if (Date.parse(on.eventTs) !== Date.parse(off.eventTs)) mismatches.push({ key, reason: 'event_ts', online: on, offline: off, features: differing(on, off, featureNames) });
    });
    return { view: record.name, version: record.version, checked: unique.length, mismatches };
  }

  // Per key: its newest current offline row, and its current offline row at the online event time.
  private async offlineRows(
    view: string,
    version: number,
    joinKeys: readonly string[],
    features: readonly string[],
    keys: readonly string[],
    onlineTimes: ReadonlyMap<string, number>,
  ): Promise<{ newest: Map<string, ComparedRow>; atOnlineTime: Map<string, ComparedRow> }> {
    const newest = new Map<string, ComparedRow>();
    const atOnlineTime = new Map<string, ComparedRow>();
    const { files } = await this.offline.files(view, version);
    if (files.length === 0) return { newest, atOnlineTime };
    const key = ident(joinKeys[0], 'key');
    const columns = sql`CAST(${key} AS VARCHAR) AS _key, event_ts, created_ts, ${joinSql(features.map((f) => ident(f, 'feature')))}`;
    const current = (where: Sql) => currentOfflineRowsSql(files, joinKeys, where);
    await this.db.withSession(async (s) => {
      const latest = await s.all(sql`SELECT ${columns} FROM ${current(sql`CAST(${key} AS VARCHAR) IN (SELECT unnest(${[...keys]}::VARCHAR[]))`)}
        QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY event_ts DESC) = 1`);
      for (const r of latest) newest.set(String(r._key), compared(r, features));
      if (onlineTimes.size === 0) return;
      // (key, event time) as `key|epoch ms`: the digits after the last '|' leave no ambiguity.
      const pairs = [...onlineTimes].map(([k, ms]) => `${k}|${ms}`);
      const at = await s.all(sql`SELECT ${columns} FROM ${current(sql`CAST(${key} AS VARCHAR) || '|' || CAST(epoch_ms(event_ts) AS VARCHAR) IN (SELECT unnest(${pairs}::VARCHAR[]))`)}`);
      for (const r of at) atOnlineTime.set(String(r._key), compared(r, features));
    });
    return { newest, atOnlineTime };
  }
}

function compared(r: Record<string, unknown>, features: readonly string[]): ComparedRow {
  return { eventTs: String(r.event_ts), createdTs: String(r.created_ts), values: Object.fromEntries(features.map((f) => [f, (r[f] ?? null) as Value])) };
}

function fromOnline(row: OnlineRow, features: readonly string[]): ComparedRow {
  return { eventTs: row.eventTs, createdTs: row.createdTs, values: Object.fromEntries(features.map((f) => [f, row.values[f] ?? null])) };
}

function differing(a: ComparedRow, b: ComparedRow, features: readonly string[]): string[] {
  return features.filter((f) => !sameValue(a.values[f] ?? null, b.values[f] ?? null));
}

/** Equal values; doubles within a relative 1e-9 (a value may pass through JSON or a float32 cast on its way online). */
export function sameValue(a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

