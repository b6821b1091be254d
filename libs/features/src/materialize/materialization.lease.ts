import { randomBytes } from 'node:crypto';
import { ErrorCode, FeatureStoreError } from '../errors/feature-store.error';
import type { LeaseOwner, MaterializationRepository } from '../registry/materialization.repository';
import type { Clock } from '../util/clock';
import { pidAlive } from '../registry/process-lease';

/** What the lease reads and writes in the registry. */
export type LeaseRegistry = Pick<MaterializationRepository, 'acquireLease' | 'releaseLease'>;

// Tells this process's leases from those of an earlier process that had the same pid.
const INSTANCE = `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
// How often a waiting run asks for the lease again: short next to a materialisation's length.
const LEASE_POLL_MS = 50;

/**
 * One materialisation of a view version at a time across processes (the API, the CLI, the
 * stream worker): two would write the same rows twice. A lease whose holder died (its pid is
 * gone) is taken over.
 */
export class MaterializationLease {
  constructor(
    private readonly registry: LeaseRegistry,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs `work` holding the lease of the version; a CONFLICT when another live process holds it
   * for longer than `waitMs` (default 0: at once).
   */
  async hold<T>(view: string, version: number, work: () => Promise<T>, waitMs = 0): Promise<T> {
    const name = materializationLeaseName(view, version);
    const owner: LeaseOwner = { pid: process.pid, instance: INSTANCE, since: this.clock.now().toISOString() };
    const deadline = Date.now() + waitMs;
    let holder = await this.registry.acquireLease(name, owner, (h) => pidAlive(h.pid));
    while (holder && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      holder = await this.registry.acquireLease(name, owner, (h) => pidAlive(h.pid));
    }
    if (holder) {
      throw new FeatureStoreError(ErrorCode.Conflict, `${view}@${version} is being materialised by process ${holder.pid} since ${holder.since}; try again when it is done`, { holder });
    }
    try {
      return await work();
    } finally {
      await this.registry.releaseLease(name, owner);
    }
  }
}

/** The registry name of a view version's lease (offline compaction holds the same one). */
export function materializationLeaseName(view: string, version: number): string {
  return `materialize/${view}@${version}`;
}
