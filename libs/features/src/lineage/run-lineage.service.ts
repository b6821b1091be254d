import type { FeatureViewService } from '../definitions/feature-view.service';
import { ErrorCode, InvalidArgumentError, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import type { RunLink, RunRepository } from '../registry/run.repository';
import type { TrainingSetManifest, TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import type { Clock } from '../util/clock';
import type { LineageRelay, RunDelivery } from './lineage.relay';

/** What a run id may hold (an MLflow run id, or any such string). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Throws a 400 naming `runId` unless it matches RUN_ID_PATTERN (it becomes part of registry keys). */
export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) throw new InvalidArgumentError('runId: 1 to 200 characters of letters, digits, _ . : -', { field: 'runId' });
}

/** Links a run to training sets (idempotent: linking again changes nothing). */
export interface LinkRunCommand {
  readonly runId: string;
  readonly trainingSetIds: readonly string[];
  /** The tracking system that knows the run (e.g. `mlflow`), or `unknown`. */
  readonly system: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A run with its training sets and the exact feature versions it consumed. */
export interface RunLineage {
  readonly runId: string;
  readonly trainingSets: string[];
  readonly featureVersions: Array<{ view: string; version: number }>;
  /** Where the run's links stand with MLflow; absent when none was queued for it (MLflow not configured). */
  readonly mlflow?: RunDelivery;
}

/** A run that consumed a view version, through one of its training sets. */
export interface VersionRun {
  readonly runId: string;
  readonly trainingSetId: string;
  readonly linkedAt: string;
}


/**
 * Run lineage both ways: a run's training sets and feature versions, and the runs that consumed
 * a view version. Links are recorded in the registry, then reported to the tracker (MLflow) by
 * the relay, which retries from its outbox.
 */
export class RunLineageService {
  constructor(
    private readonly runs: Pick<RunRepository, 'linkRun' | 'runLinks' | 'runsOfVersion'>,
    private readonly manifests: Pick<TrainingSetManifestRepository, 'getTrainingSet'>,
    private readonly features: Pick<FeatureViewService, 'getVersion'>,
    private readonly clock: Clock,
    private readonly relay: LineageRelay | null,
  ) {}

  /** Links a run to training sets; 422 naming the first unknown training set. */
  async link(command: LinkRunCommand): Promise<{ runId: string; trainingSets: string[] }> {
    assertRunId(command.runId);
    if (command.trainingSetIds.length === 0) throw new InvalidArgumentError('trainingSetIds: a non-empty array is required', { field: 'trainingSetIds' });
    for (const [i, id] of command.trainingSetIds.entries()) {
      const manifest = await this.manifests.getTrainingSet(id);
      if (!manifest) throw new UnprocessableError(ErrorCode.UnknownReference, `trainingSetIds[${i}]: no training set ${JSON.stringify(id)}`, { field: `trainingSetIds[${i}]` });
      await this.linkOne(command, manifest);
    }
    return { runId: command.runId, trainingSets: [...command.trainingSetIds] };
  }

  /** Links a run to a training set just stored (its manifest in hand). */
  async linkNew(runId: string, manifest: TrainingSetManifest): Promise<void> {
    await this.linkOne({ runId, trainingSetIds: [manifest.id], system: 'unknown', tags: {} }, manifest);
  }

  /** A run's training sets and feature versions; 404 when the run is linked to none. */
  async run(runId: string): Promise<RunLineage> {
    const links = await this.runs.runLinks(runId);
    if (links.length === 0) throw new NotFoundError(`run ${runId} is linked to no training set`, { field: 'runId' });
    const versions = new Map<string, { view: string; version: number }>();
    for (const link of links) {
      const manifest = await this.manifests.getTrainingSet(link.trainingSetId);
      for (const f of manifest?.features ?? []) versions.set(`${f.view}@${f.version}`, { view: f.view, version: f.version });
    }
    const mlflow = await this.relay?.status(runId);
    return { runId, trainingSets: links.map((l) => l.trainingSetId), featureVersions: [...versions.values()], ...(mlflow ? { mlflow } : {}) };
  }

  /** Runs that consumed a view version; 404 when the version does not exist. */
  async runsOfVersion(view: string, version: number): Promise<VersionRun[]> {
    await this.features.getVersion(view, version);
    return (await this.runs.runsOfVersion(view, version)).map((l) => ({ runId: l.runId, trainingSetId: l.trainingSetId, linkedAt: l.linkedAt }));
  }

  /** The runs linked to a training set (found through the versions it used). */
  async runIdsOf(manifest: TrainingSetManifest): Promise<string[]> {
    const runIds = new Set<string>();
    for (const f of manifest.features) {
      for (const link of await this.runs.runsOfVersion(f.view, f.version)) if (link.trainingSetId === manifest.id) runIds.add(link.runId);
    }
    return [...runIds];
  }

  private async linkOne(command: LinkRunCommand, manifest: TrainingSetManifest): Promise<void> {
    const link: RunLink = { runId: command.runId, trainingSetId: manifest.id, system: command.system, tags: command.tags, linkedAt: this.clock.now().toISOString() };
    await this.runs.linkRun(link, manifest.features);
    // The link is stored; reporting it to MLflow may fail and is then retried from the outbox.
    if (this.relay) await this.relay.enqueue(command.runId, manifest.id);
  }
}
