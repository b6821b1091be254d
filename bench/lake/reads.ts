import { applyCatalog, defineEntity, defineFeatureView, type CreateTrainingSetCommand, type EntityRow, type FeatureStore, type FeatureViewDefinition, type OnlineRefreshOptions } from '@app/features';
import { timed } from '../support/measure';
import { DATASET, HISTORY_END, batchTime, ingestBatch, type HistoryShape } from './history';

/** The stream view the training set and the refreshes read (minute-ish bars: a bar every ~20 min per symbol). */
export const STREAM_VIEW = 'stream_returns';
const FEATURES = ['ret_1', 'ret_10', 'volume_avg_20'];

function view(name: string, stream: boolean): FeatureViewDefinition {
  return defineFeatureView({
    name,
    entity: 'symbol',
    source: DATASET,
    ttl: '1d',
    lookback: '1d',
    stream,
    sql: `SELECT symbol, ts,
  close / lag(close, 1) OVER w - 1 AS ret_1,
  close / lag(close, 10) OVER w - 1 AS ret_10,
  avg(volume) OVER (w ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS volume_avg_20
FROM source
WINDOW w AS (PARTITION BY symbol ORDER BY ts)`,
    features: FEATURES.map((f) => ({ name: f, type: 'DOUBLE' })),
  });
}

/** Applies the entity and the stream view and materialises the view once (the state a stream leaves). */
export async function setUpViews(store: FeatureStore): Promise<void> {
  await applyCatalog(store.features, { entities: [defineEntity({ name: 'symbol', joinKeys: ['symbol'] })], views: [view(STREAM_VIEW, true)], services: [] });
  await store.materializer.run({ view: STREAM_VIEW });
}

/** The symbols batch `b` carries (as batchRowsSql picks them). */
export function batchSymbols(shape: HistoryShape, b: number): string[] {
  const n = Math.min(shape.rowsPerBatch, shape.symbols);
  return Array.from({ length: n }, (_, j) => `SYM${String((b * shape.rowsPerBatch + j) % shape.symbols).padStart(5, '0')}`);
}

/** Entity rows: `symbols` symbols (spread over the universe) x `times` timestamps spread over the history. */
export function entityRows(shape: HistoryShape, symbols: number, times: number): EntityRow[] {
  const rows: EntityRow[] = [];
  const n = Math.min(symbols, shape.symbols);
  const stride = Math.max(1, Math.floor(shape.symbols / n));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < times; k++) {
      const ts = new Date(HISTORY_END.getTime() - ((k + 0.5) * shape.days * 86_400_000) / times + i * 1000);
      rows.push({ symbol: `SYM${String(i * stride).padStart(5, '0')}`, ts: ts.toISOString() });
    }
  }
  return rows;
}

/** One side (before or after compaction) of the bench: its store and the stream worker's warm cache. */
export class ReadSide {
  private cache: OnlineRefreshOptions['cache'] | null = null;
  private materialisations = 0;
  /** The last catch-up of the stream view (a training set materialises what it lacks first). */
  private catchUpMs = 0;

  constructor(
    readonly name: 'before' | 'after',
    readonly store: FeatureStore,
    private readonly shape: HistoryShape,
  ) {
    store.materializer.onMaterialized((r) => {
      if (r.view === STREAM_VIEW) this.catchUpMs = r.elapsedMs;
    });
  }

  /** A new small batch lands (the store's real ingest); returns its ingest time. */
  async land(b: number): Promise<number> {
    return (await ingestBatch(this.store, this.shape, b)).ms;
  }

  /** The stream worker's steady state: its cache primed with batch `b`'s symbols before the batch lands. */
  async primeWorkerCache(b: number): Promise<void> {
    this.cache ??= await this.store.onlineRefresh.recentRowsCache(DATASET, { threads: 1 });
    await this.refresh(b, this.cache);
  }

  /**
   * One online refresh of the stream view for batch `b`'s symbols from its time: with the
   * worker's primed cache (`warm`), with a new cache (`cold`: the worker's first refresh after
   * a start or a failure) or with none (`push`: POST /push reads the lake directly).
   */
  async timeRefresh(b: number, kind: 'push' | 'cold' | 'warm'): Promise<number> {
    if (kind === 'warm') return (await timed(() => this.refresh(b, this.cache!))).ms;
    if (kind === 'push') return (await timed(() => this.refresh(b, undefined))).ms;
    return (
      await timed(async () => {
        const cache = await this.store.onlineRefresh.recentRowsCache(DATASET, { threads: 1 });
        try {
          await this.refresh(b, cache);
        } finally {
          cache.close();
        }
      })
    ).ms;
  }

  private async refresh(b: number, cache: OnlineRefreshOptions['cache']): Promise<void> {
    const written = await this.store.onlineRefresh.refreshOnline(DATASET, batchSymbols(this.shape, b), batchTime(this.shape, b), {
      streamingOnly: true,
      cache,
      only: [{ view: STREAM_VIEW, version: 1 }],
    });
    if (written.length !== 1) throw new Error(`the refresh of ${STREAM_VIEW} wrote ${written.length} views`);
  }

  /** A point-in-time training set of the stream view (its catch-up over the batches landed since included). */
  async timeTrainingSet(rows: readonly EntityRow[]): Promise<{ ms: number; catchUpMs: number; file: string }> {
    const command: CreateTrainingSetCommand = {
      features: { features: FEATURES.map((f) => `${STREAM_VIEW}:${f}`) },
      entities: { kind: 'rows', rows },
      pointInTime: 'event',
      timestampColumn: 'ts',
      runId: null,
    };
    this.catchUpMs = 0;
    const { ms, value } = await timed(() => this.store.trainingSets.create(command));
    return { ms, catchUpMs: this.catchUpMs, file: value.file };
  }

  /** A full materialisation of a view over the dataset never materialised before (so it reads the whole lake). */
  async timeMaterialisation(): Promise<{ ms: number; rows: number; phases: Readonly<Record<string, number>> }> {
    const name = `lake_mat_${this.name}_${++this.materialisations}`;
    await applyCatalog(this.store.features, { entities: [], views: [view(name, false)], services: [] });
    const { ms, value } = await timed(() => this.store.materializer.run({ view: name }));
    return { ms, rows: value.rows, phases: value.phases };
  }

  close(): void {
    this.cache?.close();
    this.cache = null;
  }
}
