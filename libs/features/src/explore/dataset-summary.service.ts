import type { DatasetService } from '../datasets/dataset.service';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import type { DatasetRepository } from '../registry/dataset.repository';
import { quoteIdent } from '../sql/identifier';
import { raw } from '../sql/sql';

/** Most keys one summary lists (the largest by rows first); `keyCount` still counts them all. */
export const SUMMARY_MAX_KEYS = 5000;

/** A step between two bars of a key longer than this many times its median step counts as a gap. */
export const GAP_FACTOR = 3;

/** One key (e.g. a symbol) of a dataset: its current rows, range and gaps. */
export interface DatasetKeySummary {
  readonly key: Readonly<Record<string, string>>;
  readonly rows: number;
  readonly minTs: string;
  readonly maxTs: string;
  /** Steps longer than GAP_FACTOR times the key's median step (a heuristic: no calendar is asked). */
  readonly gaps: number;
  /** The longest step, in seconds (null with a single row). */
  readonly longestStepSeconds: number | null;
}

/** What the catalog UI shows of a dataset beyond GET /v1/datasets/{name}. */
export interface DatasetSummary {
  readonly name: string;
  readonly keyCount: number;
  readonly keys: DatasetKeySummary[];
  readonly batches: Array<{ batchId: string; seq: number; source: string; rows: number; rejected: number; committedAt: string }>;
  /** Rows refused by the checks over all batches (each batch's are in its quarantine file). */
  readonly quarantinedRows: number;
}

/** Per-key ranges and gaps of a dataset's current rows, and its batches with their quarantined rows. */
export class DatasetSummaryService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly datasets: Pick<DatasetService, 'schema' | 'currentRowsSql'>,
    private readonly registry: Pick<DatasetRepository, 'listBatches'>,
  ) {}

  /** The summary of one dataset; 404 naming `name` when it does not exist. */
  async summary(name: string): Promise<DatasetSummary> {
    const schema = await this.datasets.schema(name);
    const batches = (await this.registry.listBatches(name)).sort((a, b) => a.seq - b.seq);
    const current = await this.datasets.currentRowsSql(schema);
    const keyList = schema.keys.map(quoteIdent).join(', ');
    const ts = quoteIdent(schema.timestampColumn);
    const keys = current
      ? await this.db.withSession((s) =>
          s.all<{ key: string; rows: number; minTs: string; maxTs: string; gaps: number; longest: number | null; total: number }>(
            raw(`WITH cur AS (${current}),
steps AS (SELECT ${keyList}, ${ts} AS t, epoch(${ts}) - epoch(lag(${ts}) OVER (PARTITION BY ${keyList} ORDER BY ${ts})) AS step FROM cur),
per AS (SELECT ${keyList}, count(*) AS rows, min(t) AS minTs, max(t) AS maxTs, median(step) AS med, max(step) AS longest,
        count(*) FILTER (WHERE step > ${GAP_FACTOR} * med_all) AS gaps
        FROM (SELECT *, median(step) OVER (PARTITION BY ${keyList}) AS med_all FROM steps) GROUP BY ${keyList})
SELECT to_json(struct_pack(${schema.keys.map((k) => `${quoteIdent(k)} := CAST(${quoteIdent(k)} AS VARCHAR)`).join(', ')}))::VARCHAR AS key,
       rows, minTs, maxTs, gaps, longest, count(*) OVER () AS total
FROM per ORDER BY rows DESC, key LIMIT ${SUMMARY_MAX_KEYS}`),
          ),
        )
      : [];
    return {
      name,
      keyCount: keys[0]?.total ?? 0,
      keys: keys.map((k) => ({ key: JSON.parse(k.key) as Record<string, string>, rows: k.rows, minTs: k.minTs, maxTs: k.maxTs, gaps: k.gaps, longestStepSeconds: k.longest })),
      batches: batches.map((b) => ({ batchId: b.batchId, seq: b.seq, source: b.source, rows: b.rows, rejected: b.rejected, committedAt: b.committedAt })),
      quarantinedRows: batches.reduce((n, b) => n + b.rejected, 0),
    };
  }
}
