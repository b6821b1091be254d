import type { DatasetService, RowsResult } from '../datasets/dataset.service';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { OnlineRefresh, OnlineRefreshService } from '../online-refresh/online-refresh.service';
import type { DatasetRepository } from '../registry/dataset.repository';
import type { DefinitionRepository } from '../registry/definition.repository';
import { frameColumns, type ColumnFrame, type OnlineWriteResult, type OnlineWriterService } from './online-writer.service';

/** Where pushed rows go (Feast's `to`). */
export const PUSH_TARGETS = ['online', 'offline', 'online_and_offline'] as const;
export type PushTarget = (typeof PUSH_TARGETS)[number];

/** Feast's push: the name of a feature view or dataset, a column-major frame, and the target. */
export interface PushCommand {
  readonly source: string;
  readonly df: ColumnFrame;
  readonly to: PushTarget;
}

/** What a push did: feature values written online, or source rows stored and online values recomputed. */
export type PushResult =
  | { readonly kind: 'feature-view'; readonly online: OnlineWriteResult }
  | { readonly kind: 'dataset'; readonly rows: RowsResult; readonly online: readonly OnlineRefresh[] };

/**
 * Feast's push (`{"push_source_name", "df", "to"}`). The push source names either
 * - a feature view: `df` holds its join keys, `event_timestamp` and every feature, written straight
 *   to the online store (Feast's behaviour; `to` must be "online", since a view's offline rows
 *   are computed from its dataset), or
 * - a dataset: `df` holds source rows (bars). They are always stored in the lake (a value online
 *   that the lake cannot reproduce would make training and serving disagree); unless `to` is
 *   "offline", the online values of the views over the dataset are recomputed for the pushed keys.
 */
export class PushService {
  constructor(
    private readonly registry: Pick<DefinitionRepository, 'getView'>,
    private readonly datasetRegistry: Pick<DatasetRepository, 'getDataset'>,
    private readonly datasets: DatasetService,
    private readonly writer: OnlineWriterService,
    private readonly refresher: Pick<OnlineRefreshService, 'refreshOnline'>,
  ) {}

  /** Pushes a frame to a feature view's online store or to a dataset (see the class comment). */
  async push(request: PushCommand): Promise<PushResult> {
    const { to, source: name } = request;
    if (name === '') throw new InvalidArgumentError('push_source_name: required', { field: 'push_source_name' });
    if (await this.registry.getView(name)) {
      if (to !== 'online') {
        throw new InvalidArgumentError(`to: ${name} is a feature view, whose offline rows are computed from its dataset; push feature values with "to": "online", or push the source rows to the dataset`, {
          field: 'to',
        });
      }
      return { kind: 'feature-view', online: await this.writer.write(name, request.df, 'df') };
    }
    if (await this.datasetRegistry.getDataset(name)) return this.pushRows(name, request.df, to);
    throw new UnprocessableError(ErrorCode.UnknownReference, `push_source_name: no feature view or dataset named ${JSON.stringify(name)}`, { field: 'push_source_name' });
  }

  private async pushRows(dataset: string, df: ColumnFrame, to: PushTarget): Promise<PushResult> {
    const rows = toRows(df);
    const schema = await this.datasets.schema(dataset);
    const stored = await this.datasets.ingestRows(dataset, rows);
    // Rows already in the lake (the same push again) still refresh: they are the current data.
    if (to === 'offline') return { kind: 'dataset', rows: stored, online: [] };
    const key = schema.keys[0];
    const symbols = [...new Set(rows.map((r) => r[key]).filter((v): v is string => typeof v === 'string'))];
    const times = rows.map((r) => Date.parse(String(r[schema.timestampColumn]).replace(' ', 'T'))).filter((t) => !Number.isNaN(t));
    const since = new Date(times.length ? Math.min(...times) : 0);
    return { kind: 'dataset', rows: stored, online: await this.refresher.refreshOnline(dataset, symbols, since) };
  }
}

/** Column-major `df` → row objects. */
function toRows(df: ColumnFrame): Array<Record<string, unknown>> {
  const columns = [...frameColumns(df, 'df')];
  const length = columns.length ? columns[0][1].length : 0;
  if (length === 0) throw new InvalidArgumentError('df: no rows', { field: 'df' });
  return Array.from({ length }, (_, j) => Object.fromEntries(columns.map(([name, values]) => [name, values[j]])));
}
