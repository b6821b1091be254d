/** A training run (an MLflow run id or any string) that consumed a training set. */
export interface RunLink {
  readonly runId: string;
  readonly trainingSetId: string;
  readonly system: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly linkedAt: string;
}

/** A run link still to report to an external tracker. */
export interface OutboxEntry {
  readonly sink: string;
  readonly runId: string;
  readonly trainingSetId: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly nextAttemptAt: string;
}

/** How a link's delivery to an external tracker ended (the outbox entry is gone by then). */
export interface DeliveryRecord {
  readonly sink: string;
  readonly runId: string;
  readonly trainingSetId: string;
  /** `logged`: the tracker holds the link; `failed`: it refused it for good (not retried). */
  readonly status: 'logged' | 'failed';
  readonly attempts: number;
  readonly error?: string;
  readonly settledAt: string;
}

/**
 * Lineage: run links, indexed both ways (run → training sets, feature version → runs), and the
 * outbox of links to deliver to an external tracker.
 *
 * Atomic: `linkRun` (the link and its index entry under every feature version, so lineage never
 * answers one way and not the other); `settleOutbox` (an entry leaves the outbox together with
 * its outcome being recorded, so a link is always pending or settled). Other outbox calls change
 * one entry each.
 */
export interface RunRepository {
  /** Links a run to a training set and indexes it under every feature version the set used; linking again keeps the first link. */
  linkRun(link: RunLink, versions: ReadonlyArray<{ view: string; version: number }>): Promise<void>;
  runLinks(runId: string): Promise<RunLink[]>;
  /** Every run link, by run id. */
  allRunLinks(): Promise<RunLink[]>;
  runsOfVersion(view: string, version: number): Promise<RunLink[]>;
  /** Adds or replaces an entry (kept until delivered). */
  putOutbox(entry: OutboxEntry): Promise<void>;
  /** Entries still to deliver, all of them or those of one sink (and run). */
  listOutbox(sink?: string, runId?: string): Promise<OutboxEntry[]>;
  removeOutbox(entry: OutboxEntry): Promise<void>;
  /** Removes an entry and records how its delivery ended (replacing an earlier outcome). */
  settleOutbox(entry: OutboxEntry, record: DeliveryRecord): Promise<void>;
  /** The recorded outcomes of a run's links to one sink. */
  deliveries(sink: string, runId: string): Promise<DeliveryRecord[]>;
}
