/** Materialised range of one view version. */
export interface MaterializationState {
  readonly start: string;
  readonly end: string;
  readonly rows: number;
  readonly updatedAt: string;
  /** The source's highest batch seq accounted for: later batches may revise the range. */
  readonly sourceSeq: number;
  /** Rows written by revisions (late or corrected bars): when > 0, a (key, event time) may have several rows. */
  readonly revisedRows: number;
  /** Keys with rows (the most any run saw; a hint for planning training-set joins). */
  readonly keys: number;
}

/** The process holding a lease; `instance` tells apart processes that reused a pid. */
export interface LeaseOwner {
  readonly pid: number;
  readonly instance: string;
  readonly since: string;
}

/**
 * What has been materialised of each view version, and the leases that keep two processes from
 * materialising the same version at once.
 *
 * Atomic (one transaction each): `acquireLease` (read the holder, take the lease),
 * `releaseLease` (check the holder, remove it). `setMaterialization` replaces one record; its
 * writer holds the version's lease, so no read-modify-write race needs a transaction here.
 */
export interface MaterializationRepository {
  getMaterialization(name: string, version: number): Promise<MaterializationState | undefined>;
  setMaterialization(name: string, version: number, state: MaterializationState): Promise<void>;
  /**
   * Takes a named lease for `owner` unless another live owner holds it; returns the holder when
   * refused. `isAlive` decides whether a recorded holder still runs (e.g. its pid exists).
   */
  acquireLease(name: string, owner: LeaseOwner, isAlive: (holder: LeaseOwner) => boolean): Promise<LeaseOwner | null>;
  /** Releases the lease if `owner` still holds it (a lease taken over from a dead owner is left alone). */
  releaseLease(name: string, owner: LeaseOwner): Promise<void>;
}
