import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CompactionJournal, visibleFiles } from '../lake/compaction-journal';
import { LocalFileSystem } from '../lake/drivers/local.file-system';
import type { LakeFileSystem } from '../lake/lake.file-system';
import { assertIdentifier } from '../sql/identifier';
import { isOfflineFile, isRevisionFile, partFileName, partRange, partStatsFileName, revisionFileName, stagingFileName } from './offline-layout';

/** A view version's offline files, as readers need them. */
export interface OfflineFiles {
  /** Absolute paths of the complete Parquet files (parts and revisions). */
  readonly files: readonly string[];
  /** True when a revision file is among them: then a (key, event time) may have several rows. */
  readonly hasRevisions: boolean;
}

/** A file being written into a version's folder: DuckDB writes `staging`, then it is committed or discarded. */
export interface StagedFile {
  /** Where to write (a name readers skip). */
  readonly staging: string;
  /** The path the file will have once committed. */
  readonly final: string;
  /** Renames the complete file into place; returns its path. */
  commit(): Promise<string>;
  /** Removes the staging file (nothing was written worth keeping). */
  discard(): Promise<void>;
}

/**
 * The offline store on disk: `<root>/<view>/v<version>/*.parquet`, each file holding keys,
 * event_ts, created_ts and the features. It alone knows the file names (offline-layout.ts).
 */
export class OfflineStoreRepository {
  constructor(
    readonly root: string,
    private readonly fs: LakeFileSystem = new LocalFileSystem(),
  ) {}

  /** The file operations compaction swaps a version's files with. */
  get fileSystem(): LakeFileSystem {
    return this.fs;
  }

  /** The compaction records of a view version (offline-compaction.service.ts). */
  journal(view: string, version: number): CompactionJournal {
    return new CompactionJournal(this.versionDir(view, version), this.fs);
  }

  /** The folder of a view version's files. */
  versionDir(view: string, version: number): string {
    assertIdentifier(view, 'view');
    return join(this.root, view, `v${version}`);
  }

  /** Creates the folder of a view version (a writer's sandbox may write only into existing folders); returns it. */
  async openVersion(view: string, version: number): Promise<string> {
    const dir = this.versionDir(view, version);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * A view version's complete files and whether a revision is among them: the folder listed
   * first, then the compaction records applied, so a swap running meanwhile shows either its
   * inputs or its outputs (the records name statistics sidecars too, hence the whole listing).
   */
  async files(view: string, version: number): Promise<OfflineFiles> {
    const dir = this.versionDir(view, version);
    const listing = (await this.fs.list(dir)).sort();
    if (!listing.some(isOfflineFile)) return { files: [], hasRevisions: false };
    const visible = visibleFiles(new Map([['', listing]]), await this.journal(view, version).records());
    const names = (visible.get('') ?? []).filter(isOfflineFile);
    return { files: names.map((f) => join(dir, f)), hasRevisions: names.some(isRevisionFile) };
  }

  /**
   * A new part file of a view version for the range [lo, hi], or a revision file when
   * `revisionSeq` (the source's batch seq the revision accounts for) is given.
   */
  stage(view: string, version: number, range: { readonly lo: Date; readonly hi: Date }, revisionSeq?: number): StagedFile {
    const dir = this.versionDir(view, version);
    const runId = randomBytes(6).toString('hex');
    const staging = join(dir, stagingFileName(runId));
    const final = join(dir, revisionSeq === undefined ? partFileName(range, runId) : revisionFileName(revisionSeq, range, runId));
    return {
      staging,
      final,
      commit: async () => {
        await rename(staging, final);
        return final;
      },
      discard: () => rm(staging, { force: true }),
    };
  }

  /**
   * Removes the part files a run wrote before it failed or was killed. The recorded state only
   * grows once every part of a run is in place, so a part whose range reaches outside `recorded`
   * (any part, when nothing is recorded) was never recorded and will be computed again; left
   * there, readers would see its rows twice, and the copy computed again may differ (a
   * correction came in between). Ranges are compared to the second, as the names hold them.
   * Call it only while no other writer works on the version (under the materialisation lease).
   */
  async removeUnrecordedParts(view: string, version: number, recorded: { readonly start: string; readonly end: string } | undefined): Promise<void> {
    const kept = recorded && { lo: Math.floor(Date.parse(recorded.start) / 1000), hi: Math.floor(Date.parse(recorded.end) / 1000) };
    const dir = this.versionDir(view, version);
    if (!existsSync(dir)) return;
    for (const name of (await readdir(dir)).filter(isOfflineFile)) {
      const range = partRange(name);
      if (range && (!kept || range.lo < kept.lo || range.hi > kept.hi)) {
        await rm(join(dir, name), { force: true });
        await rm(join(dir, partStatsFileName(name)), { force: true });
      }
    }
  }
}
