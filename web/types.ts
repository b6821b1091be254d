// The API's answers as the pages read them (see apps/api/src/openapi/response-schemas.ts).

export interface ViewSummary {
  name: string;
  version: number;
  entity: string;
  source: string;
  ttl: string | null;
  features: Array<{ name: string; type: string; description?: string }>;
  createdAt: string;
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

export interface Materialized {
  start: string | null;
  end: string | null;
  rows: number;
  updatedAt?: string;
  revisedRows?: number;
}

export interface ViewHistory {
  name: string;
  latest: number;
  versions: Array<{ version: number; digest: string; createdAt: string; materialized: Materialized | null }>;
}

export interface ViewVersion {
  name: string;
  version: number;
  digest: string;
  createdAt: string;
  definition: { sql: string; entity: string; source: string; ttl?: string | null; kind?: string; features: Array<{ name: string; type: string; description?: string }>; [k: string]: unknown };
  metadata: { description?: string; owner?: string; tags?: Record<string, string> };
  materialized: Materialized | null;
}

export interface Dataset {
  name: string;
  keys: string[];
  timestampColumn: string;
  columns: Array<{ name: string; type: string }>;
  calendar: string | null;
  rows: number;
  minTs: string | null;
  maxTs: string | null;
  batches: number;
}

export interface DatasetSummary {
  name: string;
  keyCount: number;
  keys: Array<{ key: Record<string, string>; rows: number; minTs: string; maxTs: string; gaps: number; longestStepSeconds: number | null }>;
  batches: Array<{ batchId: string; seq: number; source: string; rows: number; rejected: number; committedAt: string }>;
  quarantinedRows: number;
}

export interface LineageNode {
  id: string;
  kind: 'dataset' | 'view-version' | 'training-set' | 'run';
  label: string;
  attrs: Record<string, string | number | boolean | null>;
}

export interface LineageGraph {
  nodes: LineageNode[];
  edges: Array<{ from: string; to: string }>;
}

export interface Manifest {
  id: string;
  digest: string;
  rowCount: number;
  createdAt: string;
  pointInTime: string;
  timestampColumn: string;
  knownAt?: string;
  features: Array<{ view: string; version: number; feature: string }>;
  labels?: Array<{ view: string; version: number; label: string }>;
  columns: string[];
}

export interface Job {
  jobId: string;
  view: string;
  version: number;
  status: string;
  rows: number;
  start: string | null;
  end: string | null;
  error?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Series {
  ts: string[];
  values: Record<string, Array<number | boolean | string | null>>;
  truncated: boolean;
}

/** ColumnStats of the issue-17 contract (statistics routes). */
export interface ColumnStats {
  name: string;
  type: string;
  count: number;
  nulls: number;
  mean: number | null;
  std: number | null;
  min: number | string | null;
  max: number | string | null;
  quantiles: Record<string, number> | null;
  histogram: { edges: number[]; counts: number[] } | null;
  values: Array<{ value: unknown; count: number }> | null;
}

export interface DriftFeature {
  name: string;
  psi: number | null;
  ks: number | null;
  referenceNullRate: number | null;
  currentNullRate: number | null;
  alert?: boolean;
}

export interface Monitor {
  id: string;
  view: string;
  version: number;
  reference: string;
  window: string;
  psiAlert: number;
  createdAt: string;
  last: null | { evaluatedAt: string; alert: boolean; features: DriftFeature[] };
}
