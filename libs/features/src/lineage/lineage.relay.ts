import type { OutboxEntry, RunRepository } from '../registry/run.repository';
import type { TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import type { Clock } from '../util/clock';
import { LinkRefusedError, type LineageSink } from './lineage.sink';
import type { TrainingSetColumn } from './mlflow-dataset';

/** The outcome of one delivery attempt of a run link. */
export type DeliveryOutcome = 'logged' | 'failed' | 'retried';

/** One delivery attempt, as the relay reports it (the API counts them and logs failures). */
export interface DeliveryEvent {
  readonly outcome: DeliveryOutcome;
  readonly runId: string;
  readonly trainingSetId: string;
  /** Attempts made so far, this one included. */
  readonly attempts: number;
  readonly error?: string;
}

/** Receives every delivery attempt's outcome. */
export interface LineageObserver {
  delivery(event: DeliveryEvent): void;
}

/** Where a run's link to one training set stands with the tracker. */
export interface LinkDelivery {
  readonly trainingSetId: string;
  readonly status: 'logged' | 'pending' | 'failed';
  readonly attempts: number;
  /** Why it failed, or the last error of a pending link; null once logged. */
  readonly error: string | null;
}

/** Where a run stands with the tracker: failed if a link failed, else pending if one is, else logged. */
export interface RunDelivery {
  readonly status: LinkDelivery['status'];
  readonly error: string | null;
  readonly links: LinkDelivery[];
}

/** Reads the stored column types of a training set (TrainingSetReader.columnTypes). */
export interface TrainingSetColumns {
  columnTypes(set: { readonly id: string; readonly file: string }): Promise<TrainingSetColumn[]>;
}

/**
 * Delivers run links to the external tracker. A link is recorded in the registry first and
 * queued in the outbox; delivery is tried at once and, on failure, again with backoff by `tick`
 * (the API calls it on a timer), so a tracker outage never loses a link. A link the tracker
 * refuses for good (an unknown run) leaves the outbox as `failed`, with the reason, and is not
 * retried (linking it again queues it anew).
 */
export class LineageRelay {
  // Entries being delivered now: a tick must not send them a second time meanwhile.
  private readonly inFlight = new Set<string>();
  private observer: LineageObserver | null = null;

  constructor(
    private readonly registry: Pick<RunRepository, 'putOutbox' | 'listOutbox' | 'settleOutbox' | 'deliveries'>,
    private readonly manifests: Pick<TrainingSetManifestRepository, 'getTrainingSet'>,
    private readonly columns: TrainingSetColumns,
    private readonly sink: LineageSink,
    private readonly clock: Clock,
    private readonly baseUrl: string,
  ) {}

  /** Reports every delivery attempt to `observer` (metrics, logs). */
  observe(observer: LineageObserver): void {
    this.observer = observer;
  }

  /** Queues a link and tries it at once. */
  async enqueue(runId: string, trainingSetId: string): Promise<void> {
    const entry: OutboxEntry = { sink: this.sink.name, runId, trainingSetId, attempts: 0, nextAttemptAt: this.clock.now().toISOString() };
    await this.registry.putOutbox(entry);
    await this.deliver(entry);
  }

  /** Tries every due entry once; returns how many are still pending. */
  async tick(): Promise<number> {
    const now = this.clock.now().getTime();
    let pending = 0;
    for (const entry of await this.registry.listOutbox(this.sink.name)) {
      if (Date.parse(entry.nextAttemptAt) > now || !(await this.deliver(entry))) pending++;
    }
    return pending;
  }

  /** How many links wait in the outbox. */
  async pendingCount(): Promise<number> {
    return (await this.registry.listOutbox(this.sink.name)).length;
  }

  /** Where each of a run's links stands; links never queued for the tracker are left out. */
  async status(runId: string): Promise<RunDelivery | undefined> {
    const byTrainingSet = new Map<string, LinkDelivery>();
    for (const d of await this.registry.deliveries(this.sink.name, runId)) {
      byTrainingSet.set(d.trainingSetId, { trainingSetId: d.trainingSetId, status: d.status, attempts: d.attempts, error: d.error ?? null });
    }
    // A queued entry is newer than an outcome (linking again queues the link anew).
    for (const e of await this.registry.listOutbox(this.sink.name, runId)) {
      byTrainingSet.set(e.trainingSetId, { trainingSetId: e.trainingSetId, status: 'pending', attempts: e.attempts, error: e.lastError ?? null });
    }
    const links = [...byTrainingSet.values()];
    if (links.length === 0) return undefined;
    const first = links.find((l) => l.status === 'failed') ?? links.find((l) => l.status === 'pending') ?? links[0];
    return { status: first.status, error: first.error, links };
  }

  // Returns whether the entry left the outbox (logged or failed for good).
  private async deliver(entry: OutboxEntry): Promise<boolean> {
    const key = `${entry.runId}/${entry.trainingSetId}`;
    if (this.inFlight.has(key)) return false;
    this.inFlight.add(key);
    try {
      return await this.attempt(entry);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async attempt(entry: OutboxEntry): Promise<boolean> {
    const attempts = entry.attempts + 1;
    const manifest = await this.manifests.getTrainingSet(entry.trainingSetId);
    try {
      if (!manifest) throw new LinkRefusedError(`training set ${entry.trainingSetId} no longer exists`);
      const columns = await this.columns.columnTypes(manifest);
      // After a failed attempt the tracker may hold the link already (only its answer was lost).
      await this.sink.logTrainingSet(entry.runId, manifest, columns, this.baseUrl, entry.attempts > 0);
      await this.settle(entry, { outcome: 'logged', attempts });
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof LinkRefusedError) {
        await this.settle(entry, { outcome: 'failed', attempts, error: message });
        return true;
      }
      const delayMs = Math.min(300_000, 1000 * 2 ** Math.min(attempts, 8));
      await this.registry.putOutbox({ ...entry, attempts, lastError: message, nextAttemptAt: new Date(this.clock.now().getTime() + delayMs).toISOString() });
      this.observer?.delivery({ outcome: 'retried', runId: entry.runId, trainingSetId: entry.trainingSetId, attempts, error: message });
      return false;
    }
  }

  private async settle(entry: OutboxEntry, result: { outcome: 'logged' | 'failed'; attempts: number; error?: string }): Promise<void> {
    await this.registry.settleOutbox(entry, {
      sink: entry.sink,
      runId: entry.runId,
      trainingSetId: entry.trainingSetId,
      status: result.outcome,
      attempts: result.attempts,
      ...(result.error === undefined ? {} : { error: result.error }),
      settledAt: this.clock.now().toISOString(),
    });
    this.observer?.delivery({ outcome: result.outcome, runId: entry.runId, trainingSetId: entry.trainingSetId, attempts: result.attempts, ...(result.error === undefined ? {} : { error: result.error }) });
  }
}
