import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureViewService } from '../definitions/feature-view.service';
import type { DuckDbClient, DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import type { RetentionHorizons } from '../lake/retention-horizons';
import { assertRunId, type RunLineageService } from '../lineage/run-lineage.service';
import type { MaterializationService } from '../materialize/materialization.service';
import type { ViewVersionRecord } from '../registry/definition.repository';
import type { MaterializationRepository } from '../registry/materialization.repository';
import type { TrainingSetManifest, TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import { assertIdentifier } from '../sql/identifier';
import { fileListLiteral, fileLiteral, ident, joinSql, raw, sql, type Sql } from '../sql/sql';
import type { Clock } from '../util/clock';
import { ttlJoinInput } from '../calendar/session-span';
import { contentDigest } from './content-digest';
import { ENTITY_TABLE, assertEntitiesGiven, type EntityFrameLoader } from './entity-frame.loader';
import type { OfflineVersionReader } from './offline-version.reader';
import { LABEL_KNOWN, pointInTimeSql, type PitViewInput } from './point-in-time.sql';
import { labelCreatedPresenceSql, labelKnownExpr } from '../materialize/label-known.sql';
import type { CreateTrainingSetCommand } from './training-set.command';
import type { FeatureSelection, ResolvedFeature } from '../definitions/feature-ref.resolver';
import { chooseJoinPlan } from './training-set.planner';
import { assertNoLabelViews, labelViewColumns, resolveLabels } from './training-labels';

// How long a training-set request waits for another process's materialisation of a version it reads.
const CATCH_UP_WAIT_MS = 120_000;

/** A stored training set's manifest with the runs linked to it. */
export type TrainingSet = TrainingSetManifest & { readonly runIds: readonly string[] };


/**
 * Historical retrieval: entity rows joined with feature values as they were at each row's time
 * (point-in-time rules in point-in-time.sql.ts). Each retrieval is stored as a Parquet file with a
 * manifest (content digest, entity digest, resolved feature versions) and may be linked to a run.
 */
export class TrainingSetService {
  constructor(
    private readonly db: DuckDbClient,
    private readonly features: Pick<FeatureViewService, 'refs' | 'listEntities'>,
    private readonly materializer: Pick<MaterializationService, 'run'>,
    private readonly offline: OfflineVersionReader,
    private readonly entityFrames: EntityFrameLoader,
    private readonly manifests: TrainingSetManifestRepository,
    private readonly materializations: Pick<MaterializationRepository, 'getMaterialization'>,
    private readonly lineage: RunLineageService,
    private readonly clock: Clock,
    private readonly dir: string,
    private readonly horizons: Pick<RetentionHorizons, 'get'>,
  ) {}

  private readonly createdListeners: Array<(manifest: TrainingSetManifest) => Promise<void>> = [];

  /** Calls `listener` with each new set once it is stored, before it is linked to a run (its profile). */
  onCreated(listener: (manifest: TrainingSetManifest) => Promise<void>): void {
    this.createdListeners.push(listener);
  }

  /** Computes, stores and returns a training set (its rows are read back with TrainingSetReader). */
  async create(command: CreateTrainingSetCommand): Promise<TrainingSet> {
    assertIdentifier(command.timestampColumn, 'timestampColumn');
    if (command.runId !== null) assertRunId(command.runId);
    assertEntitiesGiven(command.entities);
    const resolved = await this.resolve(command.features);
    assertNoLabelViews(resolved);
    const labels = await resolveLabels(this.features.refs, command.labels ?? []);
    const versions = [...new Map(resolved.map((r) => [`${r.record.name}@${r.record.version}`, r.record])).values()];
    const labelVersions = [...new Map(labels.map((l) => [`${l.record.name}@${l.record.version}`, l.record])).values()];
    // Versions not materialised up to the newest data are brought up to date first (incremental).
    // Another process (a second API replica, the CLI) doing so holds the lease: a read request
    // waits for it instead of failing with its CONFLICT.
    await this.assertWithinRetention(command.knownAt ?? null, [...versions, ...labelVersions]);
    for (const v of [...versions, ...labelVersions]) await this.materializer.run({ view: v.name, version: v.version }, undefined, { waitForLeaseMs: CATCH_UP_WAIT_MS });
    const keysByEntity = new Map((await this.features.listEntities()).map((e) => [e.name, e.joinKeys]));
    const keysOf = (v: ViewVersionRecord) => keysByEntity.get(v.definition.entity) ?? [];
    const id = `tset-${this.clock.now().toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
    const file = join(this.dir, `${id}.parquet`);
    await mkdir(this.dir, { recursive: true });

    // One instant for the manifest's createdAt and the default vintage (knownAt >= createdAt).
    const createdAt = this.clock.now();
    const manifest = await this.db.withSession(async (s) => {
      const entities = await this.entityFrames.load(s, command.entities, command.timestampColumn, [...new Set([...versions, ...labelVersions].flatMap(keysOf))]);
      const knownAt = command.knownAt ?? null;
      const inputs: PitViewInput[] = [];
      for (const v of versions) inputs.push(await this.viewInput(s, v, keysOf(v), featureColumns(v, resolved), entities.rows));
      const labelViews: PitViewInput[] = [];
      for (const v of labelVersions) labelViews.push(await this.viewInput(s, v, keysOf(v), labelViewColumns(v, labels), entities.rows));
      // The set's vintage, also the labels' cutoff: a label whose available_at is later is not
      // mature. A label row's created_ts covers the bars up to its available_at, so a label
      // completed or corrected after knownAt is not known at knownAt either.
      const vintage = knownAt ?? (await this.knownBy(s, inputs, labelViews, createdAt));
      const joined = [...inputs, ...labelViews.map((v) => ({ ...v, maturedBy: vintage }))];
      await this.write(s, pointInTimeSql(ENTITY_TABLE, command.timestampColumn, joined, command.pointInTime, knownAt), file);
      const stored = sql`read_parquet(${fileLiteral(file)}, file_row_number = true)`;
      const described = await s.all<{ column_name: string }>(sql`DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ${stored}`);
      const count = await s.one<{ n: number }>(sql`SELECT count(*) AS n FROM read_parquet(${fileLiteral(file)})`);
      return {
        id,
        digest: await contentDigest(s, stored, 'file_row_number', ['file_row_number']),
        entityDigest: entities.digest,
        rowCount: Number(count?.n ?? 0),
        createdAt: createdAt.toISOString(),
        pointInTime: command.pointInTime,
        timestampColumn: command.timestampColumn,
        knownAt: vintage.toISOString(),
        features: resolved.map((r) => ({ view: r.record.name, version: r.record.version, feature: r.feature })),
        ...(labels.length ? { labels: labels.map((l) => ({ view: l.record.name, version: l.record.version, label: l.label })) } : {}),
        columns: described.map((c) => c.column_name),
        file,
      } satisfies TrainingSetManifest;
    });
    await this.manifests.putTrainingSet(manifest);
    for (const listener of this.createdListeners) await listener(manifest);
    if (command.runId !== null) await this.lineage.linkNew(command.runId, manifest);
    return { ...manifest, runIds: command.runId !== null ? [command.runId] : [] };
  }

  // A knownAt before a source's retention horizon could need row versions compaction dropped:
  // refused, rather than answered from what is left.
  private async assertWithinRetention(knownAt: Date | null, versions: readonly ViewVersionRecord[]): Promise<void> {
    if (!knownAt) return;
    for (const source of new Set(versions.map((v) => v.definition.source))) {
      const horizon = await this.horizons.get(source);
      if (horizon && knownAt < horizon) {
        throw new UnprocessableError(
          ErrorCode.BeforeRetention,
          `knownAt ${knownAt.toISOString()} is before the retention horizon of dataset ${source} (${horizon.toISOString()}): row versions superseded before it may have been dropped`,
          { field: 'knownAt', dataset: source, horizon: horizon.toISOString() },
        );
      }
    }
  }

  /** A stored training set's manifest and linked runs; 404 when unknown. */
  async manifest(id: string): Promise<TrainingSet> {
    const manifest = await this.manifests.getTrainingSet(id);
    if (!manifest) throw new NotFoundError(`training set ${id} does not exist`, { field: 'id' });
    return { ...manifest, runIds: await this.lineage.runIdsOf(manifest) };
  }

  // The references of the request (or of its feature service), each resolved to a view version.
  private resolve(selection: FeatureSelection): Promise<ResolvedFeature[]> {
    return this.features.refs.resolve(selection);
  }

  // One view version's part of the join: its offline rows and the plan chosen from their size;
  // `columns` are [offline column, type, output column] of what the set takes from it.
  private async viewInput(s: DuckDbSession, v: ViewVersionRecord, keys: readonly string[], columns: readonly JoinColumn[], entityRows: number): Promise<PitViewInput> {
    const { files, hasRevisions } = await this.offline.files(v.name, v.version);
    // Parquet footers give the row count without reading the data.
    const offlineRows = files.length ? Number((await s.one<{ n: number }>(sql`SELECT count(*) AS n FROM read_parquet(${fileListLiteral(files)})`))?.n ?? 0) : 0;
    const { ttlSeconds, ttlExpiry } = ttlJoinInput(v.definition.ttl, v.definition.calendar);
    const plan = chooseJoinPlan({ ttlSeconds, offlineRows, entityRows, state: await this.materializations.getMaterialization(v.name, v.version) });
    // Materialisation writes each (key, event time) once per version (parts never overlap, a
    // lease serialises runs, and the parts of a failed run are removed before the next one)
    // until a revision adds corrected rows beside old ones: those are told apart by their file.
    const uniqueEventTimes = !hasRevisions;
    const read = files.length ? sql`read_parquet(${fileListLiteral(files)}${uniqueEventTimes ? raw('') : raw(", filename = '_offline_file'")})` : emptyOffline(keys, columns);
    return {
      view: v.name,
      version: v.version,
      offline: v.definition.kind === 'label' ? await labelOffline(s, files, read, !uniqueEventTimes) : read,
      tieBreak: uniqueEventTimes ? undefined : '_offline_file',
      keys,
      ttlSeconds,
      ttlExpiry,
      uniqueEventTimes,
      ...plan,
      features: columns.map(([column, , output]) => [column, output] as const),
    };
  }

  // The default vintage: the creation time, or the newest created_ts in the versions' offline
  // rows when one is later (a source row may carry a future ingested_at), so that re-creating the
  // set with its recorded knownAt uses every row this one used (rounded up to the millisecond a
  // manifest's time holds).
  private async knownBy(s: DuckDbSession, inputs: readonly PitViewInput[], labels: readonly PitViewInput[], createdAt: Date): Promise<Date> {
    let latest = createdAt.getTime();
    const known = [...inputs.map((v) => [v, raw('created_ts')] as const), ...labels.map((v) => [v, sql`greatest(created_ts, ${ident(LABEL_KNOWN)})`] as const)];
    for (const [input, created] of known) {
      const row = await s.one<{ t: number | bigint | null }>(sql`SELECT CAST(ceil(epoch_us(max(${created})) / 1000) AS BIGINT) AS t FROM ${input.offline}`);
      if (row?.t !== null && row?.t !== undefined) latest = Math.max(latest, Number(row.t));
    }
    return new Date(latest);
  }

  // Writes the set under a temporary name, then renames it: readers never see a partial file.
  private async write(s: DuckDbSession, query: Sql, file: string): Promise<void> {
    const tmp = `${file}.tmp-${process.pid}`;
    await s.run(sql`COPY (${query}) TO ${fileLiteral(tmp)} (FORMAT parquet)`);
    await rename(tmp, file);
  }
}

// A label version's offline rows with LABEL_KNOWN: their label_created_ts (created_ts in files
// written before label rows had one; then the files are read by column name).
async function labelOffline(s: DuckDbSession, files: readonly string[], read: Sql, withFile: boolean): Promise<Sql> {
  if (!files.length) return sql`(SELECT *, created_ts AS ${ident(LABEL_KNOWN)} FROM ${read})`;
  const presence = (await s.one<{ missing: number; files: number }>(labelCreatedPresenceSql(fileListLiteral(files))))!;
  const source = presence.missing === 0 ? read : sql`read_parquet(${fileListLiteral(files)}, union_by_name = true${withFile ? raw(", filename = '_offline_file'") : raw('')})`;
  return sql`(SELECT *, ${labelKnownExpr(presence)} AS ${ident(LABEL_KNOWN)} FROM ${source})`;
}

/** [offline column, its type, output column] of one value a training set takes from a view version. */
export type JoinColumn = readonly [string, string, string];

// The features the set takes from one view version, in request order.
function featureColumns(v: ViewVersionRecord, resolved: readonly ResolvedFeature[]): JoinColumn[] {
  return resolved
    .filter((r) => r.record.name === v.name && r.record.version === v.version)
    .map((r) => [r.feature, v.definition.features.find((f) => f.name === r.feature)!.type, r.column] as const);
}

// A version with no offline rows yet: an empty relation of the right columns.
function emptyOffline(keys: readonly string[], columns: readonly JoinColumn[]): Sql {
  const cols = [
    ...keys.map((k) => sql`NULL::VARCHAR AS ${ident(k)}`),
    raw('NULL::TIMESTAMPTZ AS event_ts'),
    raw('NULL::TIMESTAMPTZ AS created_ts'),
    // Types come from the view definition, checked when it was applied.
    ...columns.map(([f, t]) => sql`NULL::${raw(t)} AS ${ident(f)}`),
  ];
  return sql`(SELECT ${joinSql(cols)} WHERE false)`;
}
