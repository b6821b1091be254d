import type { SqlRow } from '../duckdb/duckdb.client';
import type { OnlineRow } from '../online/online-store.driver';

/** A computed row (keys, event_ts, created_ts, features) as the online store takes it. */
export function toOnlineRow(r: SqlRow, keys: readonly string[], features: readonly string[]): OnlineRow {
  return {
    key: keys.map((k) => String(r[k])),
    eventTs: String(r.event_ts),
    createdTs: String(r.created_ts),
    values: Object.fromEntries(features.map((f) => [f, (r[f] ?? null) as number | boolean | string | null])),
  };
}
