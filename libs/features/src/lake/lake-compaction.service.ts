import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakeConfig } from '../config/app-config';
import type { DatasetSchema } from '../datasets/dataset.schema';
import { granularityOf } from '../datasets/dataset.schema';
import type { DuckDbClient } from '../duckdb/duckdb.client';
import { NotFoundError, ErrorCode } from '../errors/feature-store.error';
import type { DatasetRepository } from '../registry/dataset.repository';
import type { MaterializationRepository } from '../registry/materialization.repository';
import { withFreeLease } from '../registry/process-lease';
import type { Clock } from '../util/clock';
import { parseDuration } from '../util/time';
import type { CompactionJournal, CompactionRecord } from './compaction-journal';
import { countRows, droppableVersions, targetPartitions, writeCompacted, type CompactionTarget } from './compaction.sql';
import { CompactionRecovery, OWNER } from './compaction.recovery';
import { lakeLayout, type LakeLayout } from './lake-layout';
import type { LakeRepository } from './lake.repository';
import { partitionDays, partitionOfDay, type PartitionGranularity } from './partitioning';
import { RetentionHorizons } from './retention-horizons';

/** What a compaction run may do. */
export interface CompactionOptions {
  /** Only these partitions (`2024-03` or `date=2024-03`); all by default. */
  readonly partitions?: readonly string[];
  readonly targetBytes?: number;
  readonly targetRows?: number;
  /** Overrides the dataset's declared retention (a duration such as "365d"). */
  readonly retention?: string;
  /** Rewrites the lake into this granularity (and declares it for new batches). */
  readonly repartition?: PartitionGranularity;
  /** A partition is compacted once it holds this many small files (default 2). */
  readonly minSmallFiles?: number;
  /** Checked before each partition: true stops the run there (a process shutting down). */
  readonly shouldStop?: () => boolean;
  /** Called after each partition group. */
  readonly onProgress?: (done: number, total: number, partition: PartitionCompaction) => void;
}

/** What a compaction did to one partition (or the group of old partitions rewritten into it). */
export interface PartitionCompaction {
  readonly partition: string;
  readonly inputFiles: number;
  readonly inputBytes: number;
  readonly outputFiles: number;
  readonly outputBytes: number;
  readonly rows: number;
  readonly droppedVersions: number;
  readonly ms: number;
}

export interface CompactionReport {
  readonly dataset: string;
  readonly granularity: PartitionGranularity;
  readonly partitions: readonly PartitionCompaction[];
  /** Partitions another process was compacting (left to it). */
  readonly busy: readonly string[];
  readonly retentionHorizon: string | null;
  readonly ms: number;
}

/** One swap: old files (lake-relative to the dataset folder) replaced by the files of some partitions. */
interface Group {
  readonly key: string;
  readonly inputs: readonly string[];
  readonly inputBytes: number;
}

/**
 * Compaction of a dataset's lake: the small files of a partition merged into files of a target
 * size, every row version kept with its own `ingested_at` (unless retention drops superseded
 * ones), swapped atomically through the dataset's compaction journal (compaction-journal.ts).
 * At most one process compacts a partition at a time (a registry lease per partition).
 */
export class LakeCompactionService {
  private readonly recovery: CompactionRecovery;
  readonly horizons: RetentionHorizons;

  constructor(
    private readonly db: DuckDbClient,
    private readonly lake: LakeRepository,
    private readonly datasets: DatasetRepository,
    private readonly leases: Pick<MaterializationRepository, 'acquireLease' | 'releaseLease'>,
    private readonly clock: Clock,
    private readonly config: Pick<LakeConfig, 'graceMs' | 'targetBytes' | 'targetRows'>,
  ) {
    this.recovery = new CompactionRecovery(lake, datasets, config.graceMs);
    this.horizons = new RetentionHorizons(lake);
  }

  /** Compacts a dataset's partitions; see CompactionOptions. */
  async compactDataset(dataset: string, options: CompactionOptions = {}): Promise<CompactionReport> {
    const started = Date.now();
    let schema = await this.schema(dataset);
    const journal = this.lake.journal(dataset);
    await this.recovery.recover(dataset, journal, this.clock.now());
    if (options.repartition && options.repartition !== granularityOf(schema)) {
      // New batches land in the new layout from now on; the old folders are rewritten below.
      schema = { ...schema, partition: options.repartition };
      await this.datasets.putDataset(schema, false);
    }
    const granularity = granularityOf(schema);
    const target = { bytes: options.targetBytes ?? this.config.targetBytes, rows: options.targetRows ?? this.config.targetRows };
    const retention = options.retention ?? schema.retention;
    const horizon = retention ? new Date(this.clock.now().getTime() - parseDuration(retention, 'retention').seconds * 1000) : null;
    const groups = await this.plan(dataset, schema, granularity, target, options, horizon);
    const done: PartitionCompaction[] = [];
    const busy: string[] = [];
    for (const group of groups) {
      if (options.shouldStop?.()) break;
      const result = await withFreeLease(this.leases, `compact/${dataset}/${group.key}`, this.recovery.owner.instance, this.clock, () => this.compactGroup(dataset, schema, journal, group, granularity, target, horizon));
      if (result === null) busy.push(group.key);
      else if (result) {
        done.push(result);
        options.onProgress?.(done.length + busy.length, groups.length, result);
      }
    }
    await this.recovery.cleanup(journal, this.clock.now());
    return { dataset, granularity, partitions: done, busy, retentionHorizon: (await this.horizons.get(dataset))?.toISOString() ?? null, ms: Date.now() - started };
  }

  /** Finishes or undoes the compactions of processes that died, in every dataset (at start). */
  async recoverAll(): Promise<void> {
    for (const schema of await this.datasets.listDatasets()) {
      const journal = this.lake.journal(schema.name);
      if ((await this.lake.fileSystem.list(journal.dir)).length) await this.recovery.recover(schema.name, journal, this.clock.now());
    }
  }

  /** A dataset's lake partition by partition (files, bytes, small files), with its granularity and retention. */
  async layout(dataset: string): Promise<LakeLayout & { granularity: PartitionGranularity; retention: string | null; retentionHorizon: string | null }> {
    const schema = await this.schema(dataset);
    const layout = await lakeLayout(this.lake, dataset, this.config.targetBytes);
    return { granularity: granularityOf(schema), retention: schema.retention ?? null, retentionHorizon: (await this.horizons.get(dataset))?.toISOString() ?? null, ...layout };
  }

  /** Removes what the grace period has freed (old inputs, old records) and finishes crashed runs. */
  async tidy(dataset: string): Promise<void> {
    const journal = this.lake.journal(dataset);
    await this.recovery.recover(dataset, journal, this.clock.now());
    await this.recovery.cleanup(journal, this.clock.now());
  }

  // Which files go together: a partition's small files; with retention work, all its files; an
  // old-layout folder whole, grouped by the partition of the new layout it falls in.
  private async plan(dataset: string, schema: DatasetSchema, granularity: PartitionGranularity, target: CompactionTarget, options: CompactionOptions, horizon: Date | null): Promise<Group[]> {
    const only = options.partitions && new Set(options.partitions.map((p) => (p.startsWith('date=') ? p : `date=${p}`)));
    const dir = this.lake.datasetDir(dataset);
    const byKey = new Map<string, { inputs: string[]; bytes: number; small: number; foreign: boolean }>();
    // Files of a swap still under way (another process's) are its own until it commits.
    const pending = new Set((await this.lake.journal(dataset).records()).filter((r) => !r.committedAt).flatMap((r) => [...r.inputs, ...r.outputs]));
    for (const [folder, all] of await this.lake.partitionFiles(dataset)) {
      const names = all.filter((n) => !pending.has(`${folder}/${n}`));
      if (only && !only.has(folder)) continue;
      const value = folder.slice('date='.length);
      const days = partitionDays(value);
      if (!days) continue;
      const targetValue = partitionOfDay(days.first, granularity);
      const own = value.length === targetValue.length;
      // A coarser target holds whole old folders (grouped under it); a finer one splits a folder.
      const key = value.length >= targetValue.length ? `date=${targetValue}` : folder;
      const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, folder, n))).size));
      let files = names.map((n, i) => ({ path: `${folder}/${n}`, size: sizes[i] }));
      const retained = horizon && (await this.db.withSession((s) => droppableVersions(s, schema, files.map((f) => join(dir, f.path)), horizon))) > 0;
      if (own && !retained) files = files.filter((f) => f.size < target.bytes / 2);
      const entry = byKey.get(key) ?? { inputs: [], bytes: 0, small: 0, foreign: false };
      entry.inputs.push(...files.map((f) => f.path));
      entry.bytes += files.reduce((sum, f) => sum + f.size, 0);
      entry.small += own && !retained ? files.length : Number.MAX_SAFE_INTEGER / 4;
      entry.foreign ||= !own;
      byKey.set(key, entry);
    }
    const min = options.minSmallFiles ?? 2;
    return [...byKey]
      .filter(([, e]) => e.inputs.length > 0 && (e.foreign || e.small >= min))
      .map(([key, e]) => ({ key, inputs: e.inputs.sort(), inputBytes: e.bytes }));
  }

  private async compactGroup(
    dataset: string,
    schema: DatasetSchema,
    journal: CompactionJournal,
    group: Group,
    granularity: PartitionGranularity,
    target: CompactionTarget,
    horizon: Date | null,
  ): Promise<PartitionCompaction | undefined> {
    const started = Date.now();
    const dir = this.lake.datasetDir(dataset);
    // Listed again under the lease: another process may have compacted the group meanwhile.
    const visible = new Set([...(await this.lake.partitionFiles(dataset))].flatMap(([folder, names]) => names.map((n) => `${folder}/${n}`)));
    const inputs = group.inputs.filter((i) => visible.has(i));
    if (inputs.length === 0) return undefined;
    const id = `${this.clock.now().toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
    const { outputs, rows, inputRows } = await this.recovery.inFlight(id, async () => {
      const staging = journal.stagingDir(id);
      await this.lake.fileSystem.makeDir(staging);
      await this.lake.fileSystem.writeText(join(staging, OWNER), JSON.stringify(this.recovery.owner));
      const absolute = inputs.map((i) => join(dir, i));
      const { outputs, rows, inputRows } = await this.db.withSession(async (s) => {
        const values = await targetPartitions(s, schema, absolute, granularity);
        const written: string[] = [];
        let total = 0;
        let n = 0;
        for (const value of values) {
          const out = join(staging, `date=${value}`);
          await this.lake.fileSystem.makeDir(out);
          // The inputs' bytes shared among the target partitions (a split folder) by their count.
          const { files, rows } = await writeCompacted(s, schema, absolute, group.inputBytes / values.length, horizon, granularity, value, out, target, () => `c-${id}-${n++}.parquet`);
          total += rows;
          written.push(...files.map((f) => `date=${value}/${f}`));
        }
        return { outputs: written, rows: total, inputRows: await countRows(s, absolute) };
      });
      await this.lake.fileSystem.sync([...outputs.map((o) => join(staging, o)), ...new Set(outputs.map((o) => join(staging, o.split('/')[0]))), staging]);
      if (horizon && inputRows > rows) await this.horizons.raise(dataset, horizon);
      const record: CompactionRecord = {
        id,
        inputs,
        outputs,
        owner: this.recovery.owner,
        startedAt: new Date(started).toISOString(),
        ...(horizon && inputRows > rows ? { retentionHorizon: horizon.toISOString() } : {}),
        rows,
        droppedVersions: inputRows - rows,
      };
      // The commit marker first; from here a crash is finished by the recovery.
      await journal.write(record);
      await this.recovery.finish(dataset, journal, record, this.clock.now());
      return { outputs, rows, inputRows };
    });
    const outputBytes = (await Promise.all(outputs.map(async (o) => (await stat(join(dir, o))).size))).reduce((a, b) => a + b, 0);
    return {
      partition: group.key.slice('date='.length),
      inputFiles: inputs.length,
      inputBytes: group.inputBytes,
      outputFiles: outputs.length,
      outputBytes,
      rows,
      droppedVersions: inputRows - rows,
      ms: Date.now() - started,
    };
  }

  private async schema(dataset: string): Promise<DatasetSchema> {
    const schema = await this.datasets.getDataset(dataset);
    if (!schema) throw new NotFoundError(`dataset ${dataset} does not exist`, { field: 'dataset' }, ErrorCode.UnknownDataset);
    return schema;
  }
}
