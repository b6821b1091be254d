/** Small named settings the store keeps for itself (e.g. the synthetic sample series); one record per call. */
export interface MetaRepository {
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta<T>(key: string, value: T): Promise<void>;
}
