/** The stream worker's settings. */
export interface StreamOptions {
  readonly brokers: readonly string[];
  readonly dataset: string;
  readonly topic: string;
  readonly group: string;
  /** Dead-letter topic (default `<topic>.dlq`). */
  readonly dlqTopic?: string;
  /** A micro-batch is written when it holds this many messages… */
  readonly batchSize: number;
  /** …or when its oldest message has waited this long. */
  readonly batchMs: number;
  /** Larger messages go to the dead-letter topic unread. */
  readonly maxMessageBytes: number;
  readonly clientId?: string;
  /**
   * How often the registry's pending refreshes are scanned for entries nobody is working on (left
   * by a worker that stopped or left the group): an entry unchanged over a whole interval is
   * adopted and refreshed here (default 60 s).
   */
  readonly pendingScanMs?: number;
}

/** What the worker reports (the CLI turns it into Prometheus metrics). */
export interface StreamObserver {
  batch(stats: StreamBatchStats): void;
  lag(partition: number, lag: number): void;
  /** One online refresh of the stream views: keys refreshed, rows written, keys still waiting. */
  refresh(stats: StreamRefreshStats): void;
  /** An online refresh of a view version failed (its symbols stay pending; it is tried again). */
  refreshError(view: string, message: string): void;
  /** A batch's audit entry could not be appended (the batch itself is committed). */
  auditError?(message: string): void;
}

export interface StreamRefreshStats {
  /** The view version refreshed, as `view@version`. */
  readonly view: string;
  /** Where it was refreshed: its first refresh alone, the shared pass of the cheap views, or its own spaced runner (see RefreshScheduler). */
  readonly runner: 'probe' | 'shared' | 'slow';
  readonly keys: number;
  readonly onlineRows: number;
  readonly ms: number;
  /** Keys waiting for the next refresh when this one ended. */
  readonly pending: number;
}

export interface StreamBatchStats {
  readonly messages: number;
  readonly accepted: number;
  readonly deadLetters: number;
  /** Messages at or below the offset already written (re-deliveries after a crash): skipped. */
  readonly alreadyStored: number;
  readonly ms: number;
  /** Symbols written and not yet refreshed online, after this batch (see StreamRefreshStats). */
  readonly pendingRefresh: number;
}

export interface StreamTotals {
  messages: number;
  accepted: number;
  deadLetters: number;
  alreadyStored: number;
  batches: number;
  onlineRows: number;
  commitFailures: number;
  /** Committed batches whose audit entry could not be appended. */
  auditFailures: number;
}
