import { randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock';
import type { LeaseOwner, MaterializationRepository } from './materialization.repository';

/** True while a process of that pid exists (EPERM: it exists, under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding the named registry lease, or answers null at once when another live owner
 * holds it. The owner is this run alone (`instance` plus a random suffix), so two runs of one
 * process exclude each other as two processes do.
 */
export async function withFreeLease<T>(
  leases: Pick<MaterializationRepository, 'acquireLease' | 'releaseLease'>,
  name: string,
  instance: string,
  clock: Clock,
  work: () => Promise<T>,
): Promise<T | null> {
  const owner: LeaseOwner = { pid: process.pid, instance: `${instance}-${randomBytes(4).toString('hex')}`, since: clock.now().toISOString() };
  if (await leases.acquireLease(name, owner, (h) => pidAlive(h.pid))) return null;
  try {
    return await work();
  } finally {
    await leases.releaseLease(name, owner);
  }
}
