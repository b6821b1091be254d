import type { FeatureViewService } from '../definitions/feature-view.service';
import type { DuckDbClient, DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, FeatureStoreError, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import type { DefinitionRepository } from '../registry/definition.repository';
import type { DriftFeature } from '../registry/monitor.repository';
import type { TrainingSetManifest, TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import { fileListLiteral, fileLiteral, ident, raw, sql } from '../sql/sql';
import type { OfflineVersionReader } from '../training/offline-version.reader';
import { outputIdent } from '../training/output-column';
import { parseDuration } from '../util/time';
import { categoricalDriftSql, currentOfflineRowsSql, numericDriftSql, type DriftFigures } from './drift.sql';

/** A drift question: a view version against a reference training set, over the last `window` of offline values. */
export interface DriftRequest {
  readonly view: string;
  readonly version: number;
  readonly reference: string;
  /** A duration such as `30d` (s, m, h, d, w; counts of sessions are not taken here). */
  readonly window: string;
}

/** The answer of GET …/drift (docs/api.md). */
export interface DriftReport {
  readonly view: string;
  readonly version: number;
  readonly reference: string;
  readonly window: string;
  /** The window is (windowStart, windowEnd], ending at the version's newest offline event time. */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly features: DriftFeature[];
}

const CURRENT = 'drift_current';
const REFERENCE = 'drift_reference';

/**
 * Drift of a view version's offline values against the training set a model learnt from: per
 * feature the set holds, PSI over the reference's deciles (or over categories for booleans and
 * strings), the exact two-sample KS statistic and the null rates, all computed in DuckDB.
 */
export class DriftService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly features: Pick<FeatureViewService, 'getVersion'>,
    private readonly entities: Pick<DefinitionRepository, 'getEntity'>,
    private readonly manifests: Pick<TrainingSetManifestRepository, 'getTrainingSet'>,
    private readonly offline: OfflineVersionReader,
  ) {}

  /** Checks a request without computing it: the view version and reference exist and share features, the window parses. */
  async check(request: DriftRequest): Promise<void> {
    parseDuration(request.window, 'window');
    const record = await this.features.getVersion(request.view, request.version);
    referenceColumns(await this.reference(request.reference), record.name, record.version, record.definition.features.map((f) => f.name));
  }

  /** The drift figures of every feature of the version the reference holds. */
  async drift(request: DriftRequest): Promise<DriftReport> {
    const window = parseDuration(request.window, 'window');
    const record = await this.features.getVersion(request.view, request.version);
    const manifest = await this.reference(request.reference);
    const columns = referenceColumns(manifest, record.name, record.version, record.definition.features.map((f) => f.name));
    const keys = (await this.entities.getEntity(record.definition.entity))?.joinKeys ?? [];
    const { files } = await this.offline.files(record.name, record.version);
    const notMaterialised = () =>
      new FeatureStoreError(ErrorCode.Conflict, `version: ${record.name}@${record.version} has no offline rows yet; materialise it first`, { field: 'version' });
    if (files.length === 0) throw notMaterialised();
    return this.db.withSession(async (s) => {
      // In microseconds, as stored: a bound in milliseconds could leave out the newest row itself.
      const newest = await s.one<{ us: number | null }>(sql`SELECT epoch_us(max(event_ts)) AS us FROM read_parquet(${fileListLiteral(files)})`);
      if (newest?.us === null || newest?.us === undefined) throw notMaterialised();
      const endUs = BigInt(newest.us);
      const startUs = endUs - BigInt(window.seconds) * 1_000_000n;
      const types = new Map(record.definition.features.map((f) => [f.name, f.type]));
      await s.run(sql`CREATE OR REPLACE TEMP TABLE ${raw(CURRENT)} AS SELECT * FROM ${currentOfflineRowsSql(files, keys, sql`epoch_us(event_ts) > ${startUs} AND epoch_us(event_ts) <= ${endUs}`)}`);
      await s.run(sql`CREATE OR REPLACE TEMP TABLE ${raw(REFERENCE)} AS SELECT * FROM read_parquet(${fileLiteral(manifest.file)})`);
      const features: DriftFeature[] = [];
      for (const { feature, column } of columns) {
        features.push(await figures(s, feature, column, types.get(feature) === 'BOOLEAN' || types.get(feature) === 'VARCHAR'));
      }
      return {
        view: record.name,
        version: record.version,
        reference: manifest.id,
        window: window.text,
        windowStart: new Date(Number(startUs / 1000n)).toISOString(),
        windowEnd: new Date(Number(endUs / 1000n)).toISOString(),
        features,
      };
    });
  }

  private async reference(id: string): Promise<TrainingSetManifest> {
    const manifest = await this.manifests.getTrainingSet(id);
    if (!manifest) throw new NotFoundError(`reference: training set ${id} does not exist`, { field: 'reference' });
    return manifest;
  }
}

// One feature's figures; a side with no value gives null PSI and KS (nothing to compare).
async function figures(s: DuckDbSession, feature: string, column: string, categorical: boolean): Promise<DriftFeature> {
  const refColumn = outputIdent(column, 'features');
  const curColumn = ident(feature, 'feature');
  const query = categorical ? categoricalDriftSql(REFERENCE, refColumn, CURRENT, curColumn) : numericDriftSql(REFERENCE, refColumn, CURRENT, curColumn);
  const row = (await s.one<Record<keyof DriftFigures, number | null>>(query))!;
  const refRows = Number(row.ref_rows);
  const refCount = Number(row.ref_count);
  const curRows = Number(row.cur_rows);
  const curCount = Number(row.cur_count);
  const comparable = refCount > 0 && curCount > 0;
  return {
    name: feature,
    psi: comparable && row.psi !== null ? Number(row.psi) : null,
    ks: comparable && row.ks !== null ? Number(row.ks) : null,
    referenceNullRate: refRows > 0 ? (refRows - refCount) / refRows : null,
    currentNullRate: curRows > 0 ? (curRows - curCount) / curRows : null,
    referenceCount: refCount,
    currentCount: curCount,
  };
}

/**
 * The reference's column of each feature of `view@version` it holds: `view__feature`, or
 * `view@N__feature` when the set asked for the feature at several versions
 * (feature-ref.resolver.ts). None: a 422 naming `reference`.
 */
export function referenceColumns(manifest: TrainingSetManifest, view: string, version: number, features: readonly string[]): Array<{ feature: string; column: string }> {
  const out: Array<{ feature: string; column: string }> = [];
  for (const feature of features) {
    const versions = new Set(manifest.features.filter((f) => f.view === view && f.feature === feature).map((f) => f.version));
    if (!versions.has(version)) continue;
    const column = versions.size > 1 ? `${view}@${version}__${feature}` : `${view}__${feature}`;
    if (manifest.columns.includes(column)) out.push({ feature, column });
  }
  if (out.length === 0) {
    throw new UnprocessableError(ErrorCode.UnknownReference, `reference: training set ${manifest.id} holds no feature of ${view}@${version}`, { field: 'reference', view, version });
  }
  return out;
}
