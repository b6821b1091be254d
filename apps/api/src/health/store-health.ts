/** The stores' health check, as the health route sees it (the FeatureStore provides it). */
export abstract class StoreHealth {
  abstract check(): Promise<{ status: string; stores: Record<string, string> }>;
}
