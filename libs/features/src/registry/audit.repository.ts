/** What an audited operation came to: accepted, refused by the access check, or failed. */
export type AuditOutcome = 'accepted' | 'denied' | 'failed';

/** One line of the audit trail (written once, never changed). */
export interface AuditEntry {
  /** Position in the trail: strictly increasing across every process sharing the registry. */
  readonly seq: number;
  /** When it was recorded (ISO 8601, UTC). */
  readonly at: string;
  /** The API key's id, `anonymous` without one, or `local` for the CLI and the stream worker. */
  readonly keyId: string;
  /** Method and route pattern, e.g. `POST /v1/datasets/:name/rows`, or the CLI command. */
  readonly route: string;
  /** Names of what was changed: datasets, views, services, runs. */
  readonly targets: readonly string[];
  /** What the change counted: accepted, rejected, rows, created… */
  readonly counts: Readonly<Record<string, number>>;
  readonly outcome: AuditOutcome;
  /** The HTTP status (0 for a local write, which has none). */
  readonly status: number;
  readonly detail?: string;
}

/** An entry as handed to `append`: the registry assigns its seq. */
export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/** One page of the trail: entries in seq order, filtered, after a seq cursor. */
export interface AuditQuery {
  /** Only entries recorded at or after this time. */
  readonly since?: Date;
  readonly keyId?: string;
  /** Only entries with a seq above this one (the cursor of the previous page). */
  readonly after?: number;
  readonly limit: number;
}

/**
 * The audit trail: append-only, in one sequence across processes. There is deliberately no
 * update or delete: an entry once written stays as written.
 *
 * Atomic: `append` (read the counter, write the entry under the next seq and the counter, in one
 * transaction: two processes appending at once get two distinct, ordered seqs).
 */
export interface AuditRepository {
  /** Appends an entry under the next seq and returns it as stored. */
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Up to `limit` entries matching the query, in seq order. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}
