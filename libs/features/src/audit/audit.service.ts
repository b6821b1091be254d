import type { AuditEntry, AuditQuery, AuditRepository } from '../registry/audit.repository';
import type { Clock } from '../util/clock';

/** The key id of the CLI and the stream worker, which write the lake directly. */
export const LOCAL_KEY_ID = 'local';

/** An accepted change at the edge. */
export interface AuditedChange {
  readonly keyId: string;
  readonly route: string;
  readonly targets: readonly string[];
  readonly counts: Readonly<Record<string, number>>;
  readonly status: number;
}

/** A request refused by the access check (401/403). */
export interface AuditedDenial {
  readonly keyId: string;
  readonly route: string;
  readonly status: number;
  readonly reason: string;
}

/** A change request that failed (4xx/5xx other than a refused key). */
export interface AuditedFailure {
  readonly keyId: string;
  readonly route: string;
  readonly targets: readonly string[];
  readonly status: number;
  readonly detail: string;
}

/** A batch written by the CLI or the stream worker (key id `local`). */
export interface AuditedLocalWrite {
  /** The command, e.g. `ingest file`, `stream bars`, `materialize`. */
  readonly command: string;
  readonly targets: readonly string[];
  readonly counts: Readonly<Record<string, number>>;
  readonly outcome?: 'accepted' | 'failed';
  readonly detail?: string;
}

/** The audit trail's typed entry points: the edge and the local tools record, an admin lists. */
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly clock: Clock,
  ) {}

  /** Records an accepted change made through the API. */
  recordChange(change: AuditedChange): Promise<AuditEntry> {
    return this.repository.append({ at: this.now(), keyId: change.keyId, route: change.route, targets: [...change.targets], counts: { ...change.counts }, outcome: 'accepted', status: change.status });
  }

  /** Records a request the access check refused. */
  recordDenied(denial: AuditedDenial): Promise<AuditEntry> {
    return this.repository.append({ at: this.now(), keyId: denial.keyId, route: denial.route, targets: [], counts: {}, outcome: 'denied', status: denial.status, detail: denial.reason });
  }

  /** Records a change request that failed. */
  recordFailed(failure: AuditedFailure): Promise<AuditEntry> {
    return this.repository.append({ at: this.now(), keyId: failure.keyId, route: failure.route, targets: [...failure.targets], counts: {}, outcome: 'failed', status: failure.status, detail: failure.detail });
  }

  /** Records a write of the CLI or the stream worker. */
  recordLocal(write: AuditedLocalWrite): Promise<AuditEntry> {
    return this.repository.append({
      at: this.now(),
      keyId: LOCAL_KEY_ID,
      route: write.command,
      targets: [...write.targets],
      counts: { ...write.counts },
      outcome: write.outcome ?? 'accepted',
      status: 0,
      ...(write.detail !== undefined ? { detail: write.detail } : {}),
    });
  }

  /** One page of the trail in seq order. */
  list(query: AuditQuery): Promise<AuditEntry[]> {
    return this.repository.list(query);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
