import type { OnlineRefresh } from '../../online-refresh/online-refresh.service';
import type { RecentRowsCache } from '../../online-refresh/recent-rows.cache';
import type { ViewVersionRecord } from '../../registry/definition.repository';

/**
 * What the stream needs to keep online values current: the views to refresh and the refresh
 * itself. Served today by MaterializationService (wired in apps/ingest); these are its
 * signatures, so an online-refresh service with the same methods fits as it is.
 */
export interface OnlineRefresher {
  /** The materialised view versions over `dataset` (only the `stream: true` ones when `streamingOnly`). */
  onlineTargets(dataset: string, streamingOnly: boolean): Promise<ViewVersionRecord[]>;
  /** A cache of the dataset's recent rows for repeated refreshes (the caller closes it). */
  recentRowsCache(dataset: string, engine?: { threads?: number }): Promise<RecentRowsCache>;
  /** Recomputes the views' online rows of these keys from `since` (minus each view's lookback). */
  refreshOnline(
    dataset: string,
    keyValues: readonly string[],
    since: Date,
    options?: { streamingOnly?: boolean; cache?: RecentRowsCache; only?: ReadonlyArray<{ readonly view: string; readonly version: number }> },
  ): Promise<OnlineRefresh[]>;
}
