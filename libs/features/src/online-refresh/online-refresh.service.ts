import type { DatasetService } from '../datasets/dataset.service';
import { INGESTED_AT } from '../datasets/dataset.schema';
import type { FeatureViewService } from '../definitions/feature-view.service';
import type { LakeRepository } from '../lake/lake.repository';
import type { TimeRangeSql } from '../materialize/materialization.sql';
import { lookbackMs } from '../materialize/lookback';
import { toOnlineRow } from '../materialize/online-row';
import { setSessionConstant } from '../sql/session-constant';
import type { OnlineStoreDriver } from '../online/online-store.driver';
import type { ViewVersionRecord } from '../registry/definition.repository';
import type { Registry } from '../registry/registry';
import { FeatureSqlSandbox } from '../sql/feature-sql.sandbox';
import { quoteIdent } from '../sql/identifier';
import { ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import { SANE_TIME_RANGE } from '../util/time';
import { instrumentFilter } from './instrument-filter';
import { latestRowSelect } from './latest-row.sql';
import { RecentRowsCache } from './recent-rows.cache';

export { lookbackMs } from '../materialize/lookback';

/** What an online refresh wrote for one view version. */
export interface OnlineRefresh {
  readonly view: string;
  readonly version: number;
  /** Keys with a computed row in the refreshed range. */
  readonly keys: number;
  /** Rows newer than what the online store held. */
  readonly written: number;
  /** Milliseconds of this view's SQL and online write (the shared read of recent rows aside). */
  readonly ms: number;
}

/** Options of one refresh. */
export interface OnlineRefreshOptions {
  /** Only views marked `stream`. */
  readonly streamingOnly?: boolean;
  /** Recent rows held by the caller (the stream worker) instead of a lake read. */
  readonly cache?: RecentRowsCache;
  /** Only these view versions, done in this order (each is written online as soon as it is computed). */
  readonly only?: ReadonlyArray<{ readonly view: string; readonly version: number }>;
}

/** What the refresh reads from the registry. */
export type OnlineRefreshRegistry = Pick<Registry, 'definitions' | 'materializations'>;

// No time lies beyond the sane range: the refreshed range ends there.
const END_OF_TIME = new Date(SANE_TIME_RANGE.maxMs);

/**
 * Keeps online values current when new rows of a dataset arrive for some keys, between
 * materialisations: a push and the stream worker call it. The values equal what a full
 * materialisation gives for those keys; the offline store is left to the next materialisation.
 */
export class OnlineRefreshService {
  constructor(
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetService,
    private readonly features: FeatureViewService,
    private readonly registry: OnlineRefreshRegistry,
    private readonly online: OnlineStoreDriver,
    private readonly engine: { threads?: number; memoryLimit?: string } = {},
  ) {}

  /**
   * Brings online values up to date after new rows of `dataset` arrived for some keys: for every
   * materialised version of the views over the dataset (see OnlineRefreshOptions for which), the
   * view's own SQL runs over those keys' recent history (the view's lookback before `since`), and
   * the newest row per key goes to the online store.
   */
  async refreshOnline(dataset: string, keyValues: readonly string[], since: Date, options: OnlineRefreshOptions = {}): Promise<OnlineRefresh[]> {
    if (keyValues.length === 0) return [];
    const schema = await this.datasets.schema(dataset).catch(() => null);
    if (!schema) return [];
    const targets: Array<{ record: ViewVersionRecord; keys: readonly string[] }> = [];
    const order = (name: string, version: number) => options.only?.findIndex((o) => o.view === name && o.version === version) ?? 0;
    for (const record of await this.onlineTargets(dataset, options.streamingOnly ?? false)) {
      if (order(record.name, record.version) < 0) continue;
      targets.push({ record, keys: (await this.registry.definitions.getEntity(record.definition.entity))!.joinKeys });
    }
    targets.sort((a, b) => order(a.record.name, a.record.version) - order(b.record.name, b.record.version));
    if (targets.length === 0) return [];
    // One read for every view: the keys' rows over the longest lookback, from the lake or from
    // the caller's cache of recent rows, kept in memory; each view's SQL then runs on its own
    // lookback of that.
    const lookbacks = targets.map((t) => lookbackMs(t.record.definition));
    const longest = lookbacks.some((l) => l === null) ? null : Math.max(...(lookbacks as number[]));
    const from = longest === null ? null : new Date(since.getTime() - longest);
    let sandbox: FeatureSqlSandbox;
    let lakeRows: string | null = null;
    if (options.cache) sandbox = await options.cache.prepare(keyValues, from);
    else {
      const all = await this.datasets.allRowsSql(schema, { from: from ?? undefined, to: END_OF_TIME });
      if (!all) return [];
      lakeRows = all;
      sandbox = await FeatureSqlSandbox.open({ readable: [this.lake.datasetDir(dataset)], writable: [] }, this.engine);
    }
    const out: OnlineRefresh[] = [];
    try {
      const s = sandbox.session;
      const ts = quoteIdent(schema.timestampColumn);
      // Every time the statements below filter on, bound once as session constants: the view
      // queries are small, and planning them again for parameters cost up to a quarter of a
      // refresh (see setSessionConstant).
      const starts = lookbacks.map((l) => (l === null ? null : new Date(since.getTime() - l)));
      const times = await setSessionConstant(
        s,
        'online_refresh_times',
        sql`{'since': ${timestamp(since)}, 'until': ${timestamp(END_OF_TIME)}, 'from': ${timestamp(from)}, 'starts': [${joinSql(starts.map(timestamp))}]}`,
      );
      const versions = lakeRows !== null ? `(${lakeRows})` : from ? `(SELECT * FROM _cache WHERE ${ts} >= ${times}.from)` : '_cache';
      // The keys' current rows (the latest version of each), in memory. They also stand for the
      // stored versions: a refresh reads those only for the latest `ingested_at` up to a time per
      // entity key, and a current row holds the latest of its (dataset keys, ts). (That holds while
      // the entity's join keys are dataset key columns, as in every catalog view; a join key that
      // is a plain column changed by a correction would make the two differ.)
      const partition = joinSql([...schema.keys, schema.timestampColumn].map((c) => ident(c)));
      await s.run(
        sql`CREATE OR REPLACE TEMP TABLE _recent AS SELECT * FROM ${raw(versions)} WHERE ${await instrumentFilter(s, schema, keyValues, 'online_refresh_keys')}
            QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${ident(INGESTED_AT)} DESC) = 1`,
      );
      const range: TimeRangeSql = { lo: raw(`${times}.since`), loInclusive: true, hi: raw(`${times}.until`), hiInclusive: true };
      for (const [i, { record, keys }] of targets.entries()) {
        const viewStarted = Date.now();
        // Each view sees only its own lookback of history, as its materialisation does.
        await sandbox.defineSource(schema, starts[i] === null ? 'SELECT * FROM _recent' : `SELECT * FROM _recent WHERE ${ts} >= ${times}.starts[${i + 1}]`);
        const view = record.definition;
        const latest = await s.all(latestRowSelect(view, keys, schema.timestampColumn, range, lookbacks[i]));
        const rows = latest.map((r) => toOnlineRow(r, keys, view.features.map((f) => f.name)));
        const written = await this.online.putLatest(record.name, record.version, rows);
        out.push({ view: record.name, version: record.version, keys: rows.length, written, ms: Date.now() - viewStarted });
      }
    } finally {
      if (!options.cache) sandbox.close();
    }
    return out;
  }

  /** The materialised view versions over a dataset whose online values a refresh keeps current (only `stream` ones when `streamingOnly`). */
  async onlineTargets(dataset: string, streamingOnly: boolean): Promise<ViewVersionRecord[]> {
    const out: ViewVersionRecord[] = [];
    for (const summary of await this.features.list()) {
      for (const record of await this.registry.definitions.listViewVersions(summary.name)) {
        const view = record.definition;
        if (view.source !== dataset || (streamingOnly && !view.stream)) continue;
        if (await this.registry.materializations.getMaterialization(record.name, record.version)) out.push(record);
      }
    }
    return out;
  }

  /** A cache of a dataset's recent rows for repeated `refreshOnline` calls (the caller closes it). */
  async recentRowsCache(dataset: string, engine: { threads?: number } = {}): Promise<RecentRowsCache> {
    return new RecentRowsCache(this.lake, this.datasets, await this.datasets.schema(dataset), { ...this.engine, ...engine });
  }
}

// A time (or NULL) bound with its type, where DuckDB cannot infer one (inside a struct or list).
function timestamp(time: Date | null): Sql {
  return sql`CAST(${time} AS TIMESTAMPTZ)`;
}
