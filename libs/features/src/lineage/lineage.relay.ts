import type { OutboxEntry, RunRepository } from '../registry/run.repository';
import type { TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import type { Clock } from '../util/clock';
import type { LineageSink } from './mlflow.client';

/**
 * Delivers run links to the external tracker. A link is recorded in the registry first and
 * queued in the outbox; delivery is tried at once and, on failure, again with backoff by `tick`
 * (the API calls it on a timer), so a tracker outage never loses a link.
 */
export class LineageRelay {
  constructor(
    private readonly registry: Pick<RunRepository, 'putOutbox' | 'listOutbox' | 'removeOutbox'>,
    private readonly manifests: Pick<TrainingSetManifestRepository, 'getTrainingSet'>,
    private readonly sink: LineageSink,
    private readonly clock: Clock,
    private readonly baseUrl: string,
  ) {}

  async enqueue(runId: string, trainingSetId: string): Promise<void> {
    const entry: OutboxEntry = { sink: this.sink.name, runId, trainingSetId, attempts: 0, nextAttemptAt: this.clock.now().toISOString() };
    await this.registry.putOutbox(entry);
    await this.deliver(entry);
  }

  /** Tries every due entry once; returns how many are still pending. */
  async tick(): Promise<number> {
    const now = this.clock.now().getTime();
    let pending = 0;
    for (const entry of await this.registry.listOutbox()) {
      if (entry.sink !== this.sink.name) continue;
      if (Date.parse(entry.nextAttemptAt) > now || !(await this.deliver(entry))) pending++;
    }
    return pending;
  }

  private async deliver(entry: OutboxEntry): Promise<boolean> {
    const manifest = await this.manifests.getTrainingSet(entry.trainingSetId);
    if (!manifest) {
      await this.registry.removeOutbox(entry);
      return true;
    }
    try {
      await this.sink.logTrainingSet(entry.runId, manifest, this.baseUrl);
      await this.registry.removeOutbox(entry);
      return true;
    } catch (error) {
      const attempts = entry.attempts + 1;
      const delayMs = Math.min(300_000, 1000 * 2 ** Math.min(attempts, 8));
      await this.registry.putOutbox({ ...entry, attempts, lastError: (error as Error).message, nextAttemptAt: new Date(this.clock.now().getTime() + delayMs).toISOString() });
      return false;
    }
  }
}
