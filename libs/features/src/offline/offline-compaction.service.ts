import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LakeConfig } from '../config/app-config';
import type { FeatureViewService } from '../definitions/feature-view.service';
import type { DuckDbClient, DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, NotFoundError } from '../errors/feature-store.error';
import type { CompactionJournal, CompactionRecord } from '../lake/compaction-journal';
import { CompactionRecovery, OWNER } from '../lake/compaction.recovery';
import { withFreeLease } from '../registry/process-lease';
import { materializationLeaseName } from '../materialize/materialization.lease';
import type { ViewVersionRecord } from '../registry/definition.repository';
import type { MaterializationRepository, MaterializationState } from '../registry/materialization.repository';
import { isIdentifier } from '../sql/identifier';
import { fileLiteral, sql } from '../sql/sql';
import { PartStatsRepository, type PartStatsRecord } from '../stats/part-stats.repository';
import { PartStatsService, currentRowsOf, merge } from '../stats/part-stats.service';
import { summarize } from '../stats/stats.sql';
import type { Clock } from '../util/clock';
import { isRevisionFile, partFileName, partRange, partStatsFileName } from './offline-layout';
import { countRows } from '../lake/compaction.sql';
import { schemaSignatures, writeMergedParts } from './offline-compaction.sql';
import type { OfflineStoreRepository } from './offline-store.repository';

/** What a compaction of a view's offline store may do. */
export interface OfflineCompactionOptions {
  /** Only this version; all of the view's versions by default. */
  readonly version?: number;
  readonly targetBytes?: number;
  readonly targetRows?: number;
  /** A period is compacted once it holds this many small parts in a row (default 2). */
  readonly minSmallFiles?: number;
}

/** What a compaction did to one view version. */
export interface VersionCompaction {
  readonly version: number;
  readonly inputFiles: number;
  readonly inputBytes: number;
  readonly outputFiles: number;
  readonly outputBytes: number;
  readonly rows: number;
  /** The version was being materialised (or compacted) by another run: left alone. */
  readonly busy: boolean;
  readonly ms: number;
}

export interface OfflineCompactionReport {
  readonly view: string;
  readonly versions: readonly VersionCompaction[];
  readonly ms: number;
}

/** Small parts of one period, next to each other in time, of one Parquet schema: one swap. */
interface Group {
  readonly names: readonly string[];
  readonly bytes: number;
  readonly lo: number;
  readonly hi: number;
}

type Totals = Omit<VersionCompaction, 'version' | 'busy' | 'ms'>;

// The ledger of revisions the staged statistics account for (part-stats.repository.ts), kept in
// the staging folder: a crashed swap whose outputs are not all in place is undone instead of
// finished when a revision has changed the records since (its staged sidecars would be stale).
const LEDGER_SNAPSHOT = '_STATS_LEDGER.json';

/**
 * Compaction of the offline store of a view version: the small part files a run (a daily
 * materialisation, a stream refresh) adds one by one are merged, month by month, into parts of
 * about a target size, sorted by (keys, event_ts); every row is kept with its created_ts. The
 * swap goes through the version's compaction journal (lake/compaction-journal.ts), so readers of
 * OfflineStoreRepository.files see the old parts or the new ones. It holds the version's
 * materialisation lease: no materialisation or revision of the version runs meanwhile.
 *
 * Revision files are left alone: readers order a key's rows by created_ts and then by file name,
 * and a revision's name is what puts it after the parts it revises. Merged parts keep names of
 * the part layout (their range is the union of their inputs' contiguous ranges), so
 * removeUnrecordedParts reads them as it reads any part.
 */
export class OfflineCompactionService {
  private readonly recovery: CompactionRecovery;
  private readonly records = new PartStatsRepository();

  constructor(
    private readonly db: DuckDbClient,
    private readonly offline: OfflineStoreRepository,
    private readonly features: Pick<FeatureViewService, 'get' | 'getVersion' | 'listEntities'>,
    private readonly materializations: Pick<MaterializationRepository, 'acquireLease' | 'releaseLease' | 'getMaterialization'>,
    private readonly clock: Clock,
    private readonly config: Pick<LakeConfig, 'graceMs' | 'targetBytes' | 'targetRows'>,
  ) {
    this.recovery = new CompactionRecovery({ fileSystem: offline.fileSystem }, null, config.graceMs, (journal, record) => this.mayFinish(journal, record));
  }

  /** Compacts the offline store of a view's versions (all, or `options.version`); 404 for an unknown view or version. */
  async compactView(view: string, options: OfflineCompactionOptions = {}): Promise<OfflineCompactionReport> {
    const started = Date.now();
    const known = await this.features.get(view).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError(`feature view ${view} does not exist`, { field: 'view' }, ErrorCode.UnknownFeatureView);
      throw error;
    });
    const versions = known.versions.map((v) => v.version);
    if (options.version !== undefined && !versions.includes(options.version)) {
      throw new NotFoundError(`feature view ${view} has no version ${options.version}`, { field: 'version' }, ErrorCode.UnknownFeatureView);
    }
    const target = { bytes: options.targetBytes ?? this.config.targetBytes, rows: options.targetRows ?? this.config.targetRows };
    const out: VersionCompaction[] = [];
    for (const version of options.version === undefined ? versions : [options.version]) {
      const begun = Date.now();
      const record = await this.features.getVersion(view, version);
      const keys = (await this.features.listEntities()).find((e) => e.name === record.definition.entity)?.joinKeys ?? [];
      const totals = await this.underLease(view, version, () => this.compactVersion(record, keys, target, options.minSmallFiles ?? 2));
      const none = { inputFiles: 0, inputBytes: 0, outputFiles: 0, outputBytes: 0, rows: 0 };
      out.push({ version, ...(totals ?? none), busy: totals === null, ms: Date.now() - begun });
    }
    return { view, versions: out, ms: Date.now() - started };
  }

  /**
   * Finishes or undoes the swaps of crashed processes and removes what the grace period has
   * freed, in every view version holding a compaction journal (when the store opens). A version
   * whose lease is held is left to its holder's next compaction.
   */
  async recoverAll(): Promise<void> {
    const fs = this.offline.fileSystem;
    // Anything else in these folders (a stray file) is not the store's: skipped, never an error.
    const folders = (dir: string) => fs.list(dir).catch(() => [] as string[]);
    for (const view of (await folders(this.offline.root)).filter(isIdentifier)) {
      for (const folder of await folders(join(this.offline.root, view))) {
        const version = /^v(\d+)$/.exec(folder);
        if (!version || (await folders(join(this.offline.root, view, folder, '_compactions'))).length === 0) continue;
        await this.underLease(view, Number(version[1]), () => this.tidy(view, Number(version[1])));
      }
    }
  }

  // Under the version's lease: recovers, compacts each group, removes what the grace period freed.
  private async compactVersion(record: ViewVersionRecord, keys: readonly string[], target: { bytes: number; rows: number }, minSmallFiles: number): Promise<Totals> {
    const journal = this.offline.journal(record.name, record.version);
    await this.recovery.recover(record.name, journal, this.clock.now());
    const state = await this.materializations.getMaterialization(record.name, record.version);
    const groups = state ? await this.plan(record, state, target, minSmallFiles) : [];
    const totals = { inputFiles: 0, inputBytes: 0, outputFiles: 0, outputBytes: 0, rows: 0 };
    for (const group of groups) {
      const done = await this.compactGroup(record, keys, journal, group, target);
      totals.inputFiles += group.names.length;
      totals.inputBytes += group.bytes;
      totals.outputFiles += done.outputs;
      totals.outputBytes += done.bytes;
      totals.rows += done.rows;
    }
    await this.recovery.cleanup(journal, this.clock.now());
    return totals;
  }

  private async tidy(view: string, version: number): Promise<void> {
    const journal = this.offline.journal(view, version);
    await this.recovery.recover(view, journal, this.clock.now());
    await this.recovery.cleanup(journal, this.clock.now());
  }

  // The groups: the version's visible parts inside the recorded state (a part reaching outside it
  // is a failed materialisation's, removed by the next one), ordered by range; a run of small
  // ones within one month and of one schema is a group. A large part (or one of a swap not
  // committed) ends a run, so a group's parts are contiguous in time and its merged range
  // overlaps no other part's.
  private async plan(record: ViewVersionRecord, state: MaterializationState, target: { bytes: number }, minSmallFiles: number): Promise<Group[]> {
    const dir = this.offline.versionDir(record.name, record.version);
    const kept = { lo: Math.floor(Date.parse(state.start) / 1000), hi: Math.floor(Date.parse(state.end) / 1000) };
    // Files of a swap not committed (one of this process that failed midway) are left to it: a
    // merge built on them could be undone under it.
    const open = (await this.offline.journal(record.name, record.version).records()).filter((r) => !r.committedAt);
    const pending = new Set(open.flatMap((r) => [...r.inputs, ...r.outputs]));
    const parts = (await this.offline.files(record.name, record.version)).files
      .map((f) => ({ name: basename(f), range: partRange(basename(f)) }))
      .filter((p): p is { name: string; range: { lo: number; hi: number } } => p.range !== null && p.range.lo >= kept.lo && p.range.hi <= kept.hi)
      .sort((a, b) => a.range.lo - b.range.lo || a.range.hi - b.range.hi);
    const sized = await Promise.all(parts.map(async (p) => ({ ...p, bytes: (await stat(join(dir, p.name))).size })));
    const mergeable = (p: (typeof sized)[number]) => p.bytes < target.bytes / 2 && !pending.has(p.name);
    const small = sized.filter(mergeable);
    const signatures = await this.db.withSession((s) => schemaSignatures(s, small.map((p) => join(dir, p.name))));
    const groups: Array<Array<(typeof sized)[number]>> = [];
    let run: Array<(typeof sized)[number]> = [];
    const key = (p: (typeof sized)[number]) => `${monthOf(p.range.lo)} ${signatures.get(join(dir, p.name)) ?? ''}`;
    for (const p of sized) {
      if (!mergeable(p) || (run.length > 0 && key(run[0]) !== key(p))) {
        groups.push(run);
        run = [];
      }
      if (mergeable(p)) run.push(p);
    }
    groups.push(run);
    return groups
      .filter((g) => g.length >= Math.max(2, minSmallFiles))
      .map((g) => ({ names: g.map((p) => p.name), bytes: g.reduce((n, p) => n + p.bytes, 0), lo: g[0].range.lo, hi: Math.max(...g.map((p) => p.range.hi)) }));
  }

  private async compactGroup(record: ViewVersionRecord, keys: readonly string[], journal: CompactionJournal, group: Group, target: { bytes: number; rows: number }): Promise<{ outputs: number; bytes: number; rows: number }> {
    const fs = this.offline.fileSystem;
    const dir = journal.root;
    const startedAt = this.clock.now().toISOString();
    const id = `${this.clock.now().toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
    const staging = journal.stagingDir(id);
    await fs.makeDir(staging);
    await fs.writeText(join(staging, OWNER), JSON.stringify(this.recovery.owner));
    await fs.writeText(join(staging, LEDGER_SNAPSHOT), JSON.stringify([...(await this.records.ledger(dir))].sort()));
    const inputs = group.names.map((n) => join(dir, n));
    const range = { lo: new Date(group.lo * 1000), hi: new Date(group.hi * 1000) };
    const { outputs, rows } = await this.db.withSession(async (s) => {
      const out = join(staging, 'out');
      await fs.makeDir(out);
      const written = await writeMergedParts(s, keys, inputs, out, target);
      // Every row kept, or no swap (the staging folder is discarded by the next run).
      const expected = await countRows(s, inputs);
      if (written !== expected) throw new Error(`offline compaction of ${record.name}@${record.version} wrote ${written} rows of ${expected}`);
      const names: string[] = [];
      for (const part of (await fs.list(out)).filter((n) => n.endsWith('.parquet')).sort()) {
        const name = partFileName(range, randomBytes(6).toString('hex'));
        await fs.rename(join(out, part), join(staging, name));
        names.push(name);
      }
      await fs.remove(out);
      await this.stageStats(s, record, keys, group, names.map((n) => join(staging, n)));
      return { outputs: names, rows: written };
    });
    const present = new Set(await fs.list(staging));
    const stagedSidecars = outputs.map(partStatsFileName).filter((n) => present.has(n));
    await fs.sync([...[...outputs, ...stagedSidecars].map((n) => join(staging, n)), staging]);
    const listing = new Set(await fs.list(dir));
    const compactionRecord: CompactionRecord = {
      id,
      inputs: [...group.names, ...group.names.map(partStatsFileName).filter((n) => listing.has(n))],
      // Sidecars first: a part is never in place without its statistics.
      outputs: [...stagedSidecars, ...outputs],
      owner: this.recovery.owner,
      startedAt,
      rows,
      droppedVersions: 0,
    };
    // The commit marker first; from here a crash is finished (or undone) by the recovery.
    await journal.write(compactionRecord);
    await this.recovery.finish(record.name, journal, compactionRecord, this.clock.now());
    const bytes = (await Promise.all(outputs.map(async (n) => (await stat(join(dir, n))).size))).reduce((a, b) => a + b, 0);
    return { outputs: outputs.length, bytes, rows };
  }

  // The statistics records of the staged outputs, written before the swap: one output is the
  // merge of its inputs' records (they summarise the same current rows); several outputs, or an
  // input without a record, are summarised from their current rows (as PartStatsService does).
  private async stageStats(s: DuckDbSession, record: ViewVersionRecord, keys: readonly string[], group: Group, staged: readonly string[]): Promise<void> {
    const dir = this.offline.versionDir(record.name, record.version);
    const columns = PartStatsService.columnsOf(record);
    const inputs = await Promise.all(group.names.map((n) => this.records.get(join(dir, n))));
    if (staged.length === 1 && inputs.every((r): r is PartStatsRecord => r !== undefined)) {
      await this.records.put(staged[0], merge(columns, inputs));
      return;
    }
    const names = new Set(group.names);
    const others = (await this.offline.files(record.name, record.version)).files.filter((f) => !names.has(basename(f)));
    const revised = others.some((f) => isRevisionFile(basename(f)));
    for (const file of staged) {
      // A staged path sorts before a revision's as the final name does: ties resolve the same.
      const relation = revised ? currentRowsOf(keys, file, [...others, ...staged]) : sql`SELECT * FROM read_parquet(${fileLiteral(file)})`;
      await this.records.put(file, await summarize(s, relation, columns));
    }
  }

  // A dead owner's swap is finished when its outputs are all in place (readers already read
  // them) or when the statistics ledger is the one its staged sidecars were computed under.
  private async mayFinish(journal: CompactionJournal, record: CompactionRecord): Promise<boolean> {
    const fs = this.offline.fileSystem;
    const listing = new Set(await fs.list(journal.root));
    if (record.outputs.every((o) => listing.has(o))) return true;
    try {
      const snapshot = JSON.parse(await fs.readText(join(journal.stagingDir(record.id), LEDGER_SNAPSHOT))) as string[];
      const now = [...(await this.records.ledger(journal.root))].sort();
      return JSON.stringify(snapshot) === JSON.stringify(now);
    } catch {
      return false;
    }
  }

  // The version's materialisation lease, under an owner of this run alone (a materialisation of
  // this same process is kept out too); null when it is held.
  private underLease<T>(view: string, version: number, work: () => Promise<T>): Promise<T | null> {
    return withFreeLease(this.materializations, materializationLeaseName(view, version), this.recovery.owner.instance, this.clock, work);
  }
}

// The UTC month of an epoch second, `2024-03`.
function monthOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 7);
}
