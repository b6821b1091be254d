import type { AuditService } from '../audit/audit.service';
import type { StreamTotals } from './stream.types';

/** What one written micro-batch came to. */
export interface StreamBatchCounts {
  readonly messages: number;
  readonly accepted: number;
  /** Dead letters (failed the structural or the row checks). */
  readonly rejected: number;
  readonly alreadyStored: number;
}

/**
 * The stream worker's side of the audit trail: one `local` entry per batch that wrote or
 * dead-lettered something. The batch is committed before this runs, so an append that fails is
 * counted (totals.auditFailures) and reported, never thrown: failing the worker would not undo
 * the batch, only stop the stream.
 */
export class StreamBatchAudit {
  /** Why the last append failed, if one did. */
  lastError: string | null = null;

  constructor(
    private readonly audit: Pick<AuditService, 'recordLocal'> | null,
    private readonly where: { readonly topic: string; readonly dataset: string },
    private readonly totals: Pick<StreamTotals, 'auditFailures'>,
    private readonly onError: (message: string) => void,
  ) {}

  /** Appends the batch's entry (nothing for a batch of re-deliveries only, which changed nothing). */
  async record(counts: StreamBatchCounts): Promise<void> {
    if (!this.audit || counts.accepted + counts.rejected === 0) return;
    try {
      await this.audit.recordLocal({ command: `stream ${this.where.topic}`, targets: [this.where.dataset], counts: { ...counts } });
    } catch (error) {
      this.totals.auditFailures++;
      this.lastError = (error as Error).message;
      this.onError(this.lastError);
    }
  }
}
