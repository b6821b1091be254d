import { existsSync } from 'node:fs';
import type { DatasetService } from '../datasets/dataset.service';
import type { FeatureViewService } from '../definitions/feature-view.service';
import { InvalidArgumentError } from '../errors/feature-store.error';
import type { ViewVersionRecord } from '../registry/definition.repository';
import type { MaterializationRepository, MaterializationState } from '../registry/materialization.repository';
import { partitionDays } from '../lake/partitioning';
import { utcDay } from '../util/time';
import { lookbackMs } from './lookback';
import type { TimeRange } from './materialization.sql';

export interface MaterializeRequest {
  readonly view: string;
  /** The version to materialise; the latest when absent (resolved and reported). */
  readonly version?: number;
  readonly start?: Date;
  readonly end?: Date;
}

/** What a run will do: the parts of the range to compute and the lake files that may revise the rest. */
export interface MaterializePlan {
  readonly record: ViewVersionRecord;
  readonly parts: TimeRange[];
  readonly bounds: { start: Date; end: Date } | null;
  /** Lake files of batches recorded since the last run with days inside the materialised range. */
  readonly revision: string[];
  /** The source's highest batch seq when the plan was made (stored as the state's watermark). */
  readonly sourceSeq: number;
}

/** What the planner reads from the registry. */
export type PlannerRegistry = Pick<MaterializationRepository, 'getMaterialization'>;

/**
 * Decides what a materialisation computes: the parts of the asked range that are not
 * materialised yet (incremental), and the batches that arrived since inside the part that is
 * (revisions).
 */
export class MaterializationPlanner {
  constructor(
    private readonly datasets: DatasetService,
    private readonly features: FeatureViewService,
    private readonly registry: PlannerRegistry,
  ) {}

  /** The view version a request names (the latest when it names none). */
  async resolve(request: MaterializeRequest): Promise<ViewVersionRecord> {
    const view = await this.features.get(request.view);
    return this.features.getVersion(request.view, request.version ?? view.latest);
  }

  /**
   * Resolves the version, the parts of the range still to compute (the dataset's whole time span
   * when the request gives no bounds), and the lake files that may revise the part already
   * computed (batches recorded since, with rows inside it).
   */
  async plan(request: MaterializeRequest): Promise<MaterializePlan> {
    const record = await this.resolve(request);
    // Read before the lake: a batch recorded after this point is looked at again by the next run.
    const sourceSeq = await this.datasets.lastBatchSeq(record.definition.source);
    const dataset = await this.datasets.timeBounds(record.definition.source);
    const start = request.start ?? (dataset.minTs ? new Date(dataset.minTs) : undefined);
    const end = request.end ?? (dataset.maxTs ? new Date(dataset.maxTs) : undefined);
    if (!start || !end) return { record, parts: [], bounds: null, revision: [], sourceSeq };
    if (start > end) throw new InvalidArgumentError('start must not be after end', { field: 'start' });
    const state = await this.registry.getMaterialization(record.name, record.version);
    const revision = state ? await this.revisionFiles(record.definition.source, state, lookbackMs(record.definition), record.definition.kind === 'label') : [];
    return { record, parts: missingParts({ start, end }, state), bounds: { start, end }, revision, sourceSeq };
  }

  // Lake files of the batches recorded since the state was written that hold days inside the
  // materialised range: rows that arrived late or correct a bar already computed.
  // A label's rows also change with bars after the range (they complete its forward window).
  private async revisionFiles(source: string, state: MaterializationState, lookback: number | null, label: boolean): Promise<string[]> {
    const { files } = await this.datasets.batchFilesAfter(source, state.sourceSeq);
    // Bars up to a lookback before the range change rows inside it (no lookback: all history does).
    const first = lookback === null ? '0000-00-00' : utcDay(new Date(Date.parse(state.start) - lookback));
    const last = label ? '9999-12-31' : utcDay(new Date(state.end));
    return files.filter((f) => {
      // A partition (day, month or year) overlaps [first, last] when its days do.
      const days = partitionDays(/date=([\d-]+)/.exec(f)?.[1] ?? '');
      return days !== null && days.last >= first && days.first <= last && existsSync(f);
    });
  }
}

/** The parts of [start, end] not covered by the materialised state (which is one contiguous range). */
export function missingParts(range: { start: Date; end: Date }, state: MaterializationState | undefined): TimeRange[] {
  if (!state) return [{ lo: range.start, loInclusive: true, hi: range.end, hiInclusive: true }];
  const doneStart = new Date(state.start);
  const doneEnd = new Date(state.end);
  const parts: TimeRange[] = [];
  if (range.start < doneStart) parts.push({ lo: range.start, loInclusive: true, hi: doneStart, hiInclusive: false });
  if (range.end > doneEnd) parts.push({ lo: doneEnd, loInclusive: false, hi: range.end, hiInclusive: true });
  return parts;
}
