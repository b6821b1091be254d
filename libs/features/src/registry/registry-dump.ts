/** The aggregates of the registry, named as its repositories (Registry's fields). */
export const AGGREGATES = ['datasets', 'definitions', 'materializations', 'trainingSets', 'runs', 'jobs', 'streams', 'meta', 'audit', 'monitors'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** One stored record: both drivers keep the same keys and values, so a record moves unchanged. */
export interface RegistryRecord {
  readonly aggregate: Aggregate;
  readonly key: string;
  readonly value: unknown;
}

/** Export and import of a whole registry (`npm run registry -- export|import`). */
export interface RegistryDump {
  /** Every record, aggregate by aggregate, in key order. */
  dump(): AsyncIterable<RegistryRecord>;
  /** Writes the records (replacing records under the same keys); returns how many. */
  load(records: AsyncIterable<RegistryRecord> | Iterable<RegistryRecord>): Promise<number>;
  /** True when the registry holds no record at all. */
  isEmpty(): Promise<boolean>;
}

// The first match wins: 'meta/definitions-generation' (the definitions' counter) comes before
// 'meta/'. The other prefixes end in '/' or are whole keys, so none starts another.
const PREFIXES: ReadonlyArray<readonly [string, Aggregate]> = [
  ['dataset/', 'datasets'],
  ['batch/', 'datasets'],
  ['batch-seq/', 'datasets'],
  ['batch-by-seq/', 'datasets'],
  ['ingested-at/', 'datasets'],
  ['entity/', 'definitions'],
  ['view/', 'definitions'],
  ['view-version/', 'definitions'],
  ['view-digest/', 'definitions'],
  ['service/', 'definitions'],
  ['service-version/', 'definitions'],
  ['service-digest/', 'definitions'],
  ['meta/definitions-generation', 'definitions'],
  ['materialized/', 'materializations'],
  ['lease/', 'materializations'],
  ['training-set/', 'trainingSets'],
  ['run/', 'runs'],
  ['version-run/', 'runs'],
  ['outbox/', 'runs'],
  ['delivery/', 'runs'],
  ['job/', 'jobs'],
  ['watermark/', 'streams'],
  ['pending-entry/', 'streams'],
  ['meta/', 'meta'],
  ['audit/', 'audit'],
  ['audit-seq', 'audit'],
  ['monitor/', 'monitors'],
];

/** The aggregate a registry key belongs to (the drivers' key layout), or undefined for a stray key. */
export function aggregateOfKey(key: string): Aggregate | undefined {
  return PREFIXES.find(([prefix]) => key.startsWith(prefix))?.[1];
}

/** True for one of AGGREGATES (a line of an export file is checked with it). */
export function isAggregate(name: unknown): name is Aggregate {
  return typeof name === 'string' && (AGGREGATES as readonly string[]).includes(name);
}
