import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FeatureViewService } from '../definitions/feature-view.service';
import type { DuckDbClient, DuckDbSession, SqlRow } from '../duckdb/duckdb.client';
import { ErrorCode, InvalidArgumentError, NotFoundError, UnprocessableError } from '../errors/feature-store.error';
import { parseTimestamp } from '../ingest/staging.sql';
import { REVISION_PREFIX, type MaterializationService } from '../materialize/materialization.service';
import type { MaterializationRepository, MaterializationState } from '../registry/materialization.repository';
import type { RunLink, RunRepository } from '../registry/run.repository';
import type { TrainingSetManifest, TrainingSetManifestRepository } from '../registry/training-set-manifest.repository';
import { assertIdentifier, quoteIdent, quoteLiteral, quoteSourceColumn } from '../sql/identifier';
import type { Clock } from '../util/clock';
import { parseDuration, parseUtc } from '../util/time';
import type { DatasetService } from '../datasets/dataset.service';
import type { SourceFormat } from '../ingest/ingest-source';
import type { LineageRelay } from '../lineage/lineage.relay';
import { pointInTimeSql, type PitViewInput, type PointInTimeMode } from './point-in-time.sql';

export interface TrainingSetRequest {
  readonly features?: unknown;
  readonly featureService?: unknown;
  readonly entities?: unknown;
  readonly pointInTime?: unknown;
  readonly timestampColumn?: unknown;
  readonly runId?: unknown;
  /** A large entity frame sent as the body itself (CSV, Parquet, or Arrow converted to NDJSON). */
  readonly entityFrame?: { readonly bytes: Buffer; readonly format: SourceFormat };
}

export interface TrainingSet {
  readonly manifest: TrainingSetManifest & { readonly runIds: readonly string[] };
  readonly rows: SqlRow[];
}

const RUN_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * Historical retrieval: entity rows joined with feature values as they were at each row's time
 * (point-in-time rules in point-in-time.sql.ts). Each retrieval is stored as a training set with
 * a content digest, the entity frame's digest and the resolved feature versions, and can be
 * linked to the ML runs that consumed it.
 */
export class TrainingSetService {
  private readonly keyCounts = new Map<string, { rows: number; keys: number }>();

  constructor(
    private readonly db: DuckDbClient,
    private readonly datasets: DatasetService,
    private readonly features: FeatureViewService,
    private readonly materializer: MaterializationService,
    private readonly materializations: Pick<MaterializationRepository, 'getMaterialization'>,
    private readonly manifests: TrainingSetManifestRepository,
    private readonly runs: RunRepository,
    private readonly clock: Clock,
    private readonly dir: string,
    private readonly tmpDir: string,
    private readonly relay: LineageRelay | null = null,
  ) {}

  /**
   * Computes and stores a training set. `withRows` also returns the rows as objects (the JSON
   * answer); binary answers are served from the stored Parquet file instead, so a large set is
   * never held as JS objects.
   */
  async create(request: TrainingSetRequest, withRows = true): Promise<TrainingSet> {
    const mode = parseMode(request.pointInTime);
    const tsColumn = request.timestampColumn ?? 'ts';
    assertIdentifier(tsColumn, 'timestampColumn');
    const runId = parseRunId(request.runId);
    const refs = await this.featureRefs(request);
    const resolved = await Promise.all(refs.map((text, i) => this.features.resolveFeature(text, `features[${i}]`)));
    const outputs = new Set<string>();
    resolved.forEach((r, i) => {
      const column = `${r.record.name}__${r.feature}`;
      if (outputs.has(column)) throw new InvalidArgumentError(`features[${i}]: ${column} is requested twice`, { field: `features[${i}]` });
      outputs.add(column);
    });
    const spine = request.entityFrame ? null : parseSpine(request.entities);
    const rows = spine || request.entityFrame ? [] : entityRows(request.entities);
    if (request.entityFrame && request.entityFrame.bytes.length === 0) throw new InvalidArgumentError('body: the entity frame is empty', { field: 'body' });
    // Versions not materialised up to the newest data are brought up to date first (incremental).
    const versions = [...new Map(resolved.map((r) => [`${r.record.name}@${r.record.version}`, r.record])).values()];
    for (const v of versions) await this.materializer.run({ view: v.name, version: v.version });

    const id = `tset-${this.clock.now().toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    const frameFormat: SourceFormat = request.entityFrame?.format ?? 'ndjson';
    const entityFile = join(this.tmpDir, `${id}-entities.${frameFormat}`);
    if (request.entityFrame) await writeFile(entityFile, request.entityFrame.bytes);
    else if (!spine) await writeFile(entityFile, rows.map((r) => JSON.stringify(r)).join('\n'));
    const file = join(this.dir, `${id}.parquet`);
    try {
      return await this.db.withSession(async (s) => {
        const keysByEntity = new Map((await this.features.listEntities()).map((e) => [e.name, e.joinKeys]));
        const required = [...new Set(versions.flatMap((v) => keysByEntity.get(v.definition.entity) ?? []))];
        const entityDigest = spine ? await this.loadSpine(s, spine, tsColumn, required) : await loadEntities(s, entityFile, frameFormat, tsColumn, required);
        const inputs: PitViewInput[] = [];
        const [{ n: entityCount }] = await s.all<{ n: number }>('SELECT count(*) AS n FROM entities');
        for (const v of versions) {
          const files = await this.materializer.offlineFiles(v.name, v.version);
          // Parquet footers give the row count without reading the data.
          const offlineCount = files.length ? Number((await s.one<{ n: number }>(`SELECT count(*) AS n FROM read_parquet([${files.map(quoteLiteral).join(', ')}])`))?.n ?? 0) : 0;
          const keys = keysByEntity.get(v.definition.entity) ?? [];
          const ttlSeconds = v.definition.ttl === null ? null : parseDuration(v.definition.ttl, 'ttl').seconds;
          const state = await this.materializations.getMaterialization(v.name, v.version);
          const windowJoin =
            ttlSeconds !== null && ttlSeconds > 0 && offlineCount > 0 && state !== undefined
              ? windowCandidates(offlineCount, state.keys ?? (await this.approxKeys(s, `${v.name}@${v.version}`, files, keys, offlineCount)), state, ttlSeconds) <= WINDOW_JOIN_MAX_CANDIDATES
              : false;
          // Revision files (named apart) are what can give a (key, event time) several rows.
          const uniqueEventTimes = !files.some((f) => basename(f).startsWith(REVISION_PREFIX));
          inputs.push({
            view: v.name,
            version: v.version,
            // With revisions, rows are told apart by their file when (event_ts, created_ts) tie.
            offline: files.length
              ? `read_parquet([${files.map(quoteLiteral).join(', ')}]${uniqueEventTimes ? '' : `, filename = '_offline_file'`})`
              : emptyOffline(keys, v.definition.features.map((f) => [f.name, f.type] as const)),
            tieBreak: uniqueEventTimes ? undefined : '_offline_file',
            keys,
            ttlSeconds,
            // Materialisation writes each (key, event time) once per version (parts never overlap,
            // a lease serialises runs, and the parts of a run that failed are removed before the
            // next one) until a revision adds corrected rows beside old ones.
            uniqueEventTimes,
            windowJoin,
            // An entity row's TTL window spans at most two TTL-wide buckets: when those windows
            // are few next to the offline rows, dropping the rows outside them first pays off.
            prefilter: !windowJoin && 2 * Number(entityCount) < 0.1 * offlineCount,
            features: resolved.filter((r) => r.record.name === v.name && r.record.version === v.version).map((r) => [r.feature, `${r.record.name}__${r.feature}`] as const),
          });
        }
        const tmp = `${file}.tmp-${process.pid}`;
        await s.run(`COPY (${pointInTimeSql('entities', tsColumn, inputs, mode)}) TO ${quoteLiteral(tmp)} (FORMAT parquet)`);
        await rename(tmp, file);
        const digest = await contentDigest(s, `read_parquet(${quoteLiteral(file)}, file_row_number = true)`, 'file_row_number', ['file_row_number']);
        const data = withRows ? await s.all(`SELECT * FROM read_parquet(${quoteLiteral(file)})`) : [];
        const [{ n }] = await s.all<{ n: number }>(`SELECT count(*) AS n FROM read_parquet(${quoteLiteral(file)})`);
        const columns = (await s.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(file)})`)).map((c) => c.column_name);
        const manifest: TrainingSetManifest = {
          id,
          digest,
          entityDigest,
          rowCount: n,
          createdAt: this.clock.now().toISOString(),
          pointInTime: mode,
          timestampColumn: tsColumn,
          features: resolved.map((r) => ({ view: r.record.name, version: r.record.version, feature: r.feature })),
          columns,
          file,
        };
        await this.manifests.putTrainingSet(manifest);
        if (runId) await this.link(runId, [id], 'unknown', {});
        return { manifest: { ...manifest, runIds: runId ? [runId] : [] }, rows: data };
      });
    } finally {
      await rm(entityFile, { force: true });
    }
  }

  async manifest(id: string): Promise<TrainingSetManifest & { runIds: string[] }> {
    const manifest = await this.manifests.getTrainingSet(id);
    if (!manifest) throw new NotFoundError(`training set ${id} does not exist`, { field: 'id' });
    const runIds = new Set<string>();
    for (const f of manifest.features) for (const link of await this.runs.runsOfVersion(f.view, f.version)) if (link.trainingSetId === id) runIds.add(link.runId);
    return { ...manifest, runIds: [...runIds] };
  }

  /** The stored rows of a training set, exactly as first returned. */
  async data(id: string): Promise<SqlRow[]> {
    const manifest = await this.manifest(id);
    return this.db.withSession((s) => s.all(`SELECT * FROM read_parquet(${quoteLiteral(manifest.file)})`));
  }

  /** Links a run to training sets (idempotent). */
  async link(runIdInput: unknown, trainingSetIds: unknown, system: unknown, tags: unknown): Promise<{ runId: string; trainingSets: string[] }> {
    const runId = parseRunId(runIdInput);
    if (!runId) throw new InvalidArgumentError('runId: required', { field: 'runId' });
    if (!Array.isArray(trainingSetIds) || trainingSetIds.length === 0) throw new InvalidArgumentError('trainingSetIds: a non-empty array is required', { field: 'trainingSetIds' });
    for (const [i, id] of trainingSetIds.entries()) {
      const manifest = typeof id === 'string' ? await this.manifests.getTrainingSet(id) : undefined;
      if (!manifest) throw new UnprocessableError(ErrorCode.UnknownReference, `trainingSetIds[${i}]: no training set ${JSON.stringify(id)}`, { field: `trainingSetIds[${i}]` });
      const link: RunLink = {
        runId,
        trainingSetId: manifest.id,
        system: typeof system === 'string' ? system : 'unknown',
        tags: tags && typeof tags === 'object' ? (tags as Record<string, string>) : {},
        linkedAt: this.clock.now().toISOString(),
      };
      await this.runs.linkRun(link, manifest.features);
      // The link is stored; reporting it to MLflow may fail and is then retried from the outbox.
      if (this.relay) await this.relay.enqueue(runId, manifest.id);
    }
    return { runId, trainingSets: trainingSetIds as string[] };
  }

  /** A run with its training sets and the exact feature versions it consumed. */
  async run(runIdInput: string): Promise<{ runId: string; trainingSets: string[]; featureVersions: Array<{ view: string; version: number }> }> {
    const runId = parseRunId(runIdInput)!;
    const links = await this.runs.runLinks(runId);
    if (links.length === 0) throw new NotFoundError(`run ${runId} is linked to no training set`, { field: 'runId' });
    const versions = new Map<string, { view: string; version: number }>();
    for (const link of links) {
      const manifest = await this.manifests.getTrainingSet(link.trainingSetId);
      for (const f of manifest?.features ?? []) versions.set(`${f.view}@${f.version}`, { view: f.view, version: f.version });
    }
    return { runId, trainingSets: links.map((l) => l.trainingSetId), featureVersions: [...versions.values()] };
  }

  /** Runs that consumed a view version. */
  async runsOfVersion(view: string, version: number): Promise<Array<{ runId: string; trainingSetId: string; linkedAt: string }>> {
    await this.features.getVersion(view, version);
    return (await this.runs.runsOfVersion(view, version)).map((l) => ({ runId: l.runId, trainingSetId: l.trainingSetId, linkedAt: l.linkedAt }));
  }

  // The entity frame as every bar of the chosen symbols in [start, end] of a dataset.
  private async loadSpine(s: DuckDbSession, spine: Spine, tsColumn: string, keys: readonly string[]): Promise<string> {
    const schema = await this.datasets.schema(spine.from).catch(() => {
      throw new UnprocessableError(ErrorCode.UnknownReference, `entities.from: dataset ${spine.from} does not exist`, { field: 'entities.from' });
    });
    for (const k of keys) {
      if (!schema.keys.includes(k)) throw new InvalidArgumentError(`entities.from: ${spine.from} has no key column ${k}`, { field: 'entities.from' });
    }
    const current = await this.datasets.currentRowsSql(schema, { from: spine.start, to: spine.end ?? new Date('2200-01-01T00:00:00Z') });
    const dsTs = quoteIdent(schema.timestampColumn);
    const keyCols = keys.map(quoteIdent);
    const filter = spine.symbols === 'all' ? 'TRUE' : `${quoteIdent(keys[0])} IN (${spine.symbols.map(quoteLiteral).join(', ')})`;
    await s.run(
      current
        ? `CREATE OR REPLACE TEMP TABLE entities AS SELECT ${keyCols.join(', ')}, ${dsTs} AS ${quoteIdent(tsColumn)}, row_number() OVER (ORDER BY ${keyCols.join(', ')}, ${dsTs}) - 1 AS _row
           FROM (${current}) WHERE ${filter} ORDER BY _row`
        : `CREATE OR REPLACE TEMP TABLE entities AS SELECT ${keyCols.map((k) => `NULL::VARCHAR AS ${k}`).join(', ')}, NULL::TIMESTAMPTZ AS ${quoteIdent(tsColumn)}, 0::BIGINT AS _row WHERE false`,
    );
    return contentDigest(s, 'entities', '_row', ['_row']);
  }

  // Distinct values of the first key in a version's offline files, for states written before
  // `keys` was kept: counted once per row count (a scan of the key column), then remembered.
  private async approxKeys(s: DuckDbSession, version: string, files: readonly string[], keys: readonly string[], rows: number): Promise<number> {
    const known = this.keyCounts.get(version);
    if (known && known.rows === rows) return known.keys;
    if (keys.length === 0) return 1;
    const row = await s.one<{ n: number }>(`SELECT approx_count_distinct(${quoteIdent(keys[0])}) AS n FROM read_parquet([${files.map(quoteLiteral).join(', ')}])`);
    const count = Number(row?.n ?? 1);
    this.keyCounts.set(version, { rows, keys: count });
    return count;
  }

  private async featureRefs(request: TrainingSetRequest): Promise<string[]> {
    if (request.featureService !== undefined) {
      if (typeof request.featureService !== 'string') throw new InvalidArgumentError('featureService: must be a name', { field: 'featureService' });
      return [...(await this.features.getService(request.featureService)).features];
    }
    if (!Array.isArray(request.features) || request.features.length === 0) {
      throw new InvalidArgumentError('features: a non-empty list of feature references (or featureService) is required', { field: 'features' });
    }
    return request.features.map((f, i) => {
      if (typeof f !== 'string') throw new InvalidArgumentError(`features[${i}]: must be a string`, { field: `features[${i}]` });
      return f;
    });
  }
}

// Loads the entity frame into `entities` (keys as text, the timestamp parsed as UTC, other
// columns as given, `_row` = order in the request); returns its digest.
async function loadEntities(s: DuckDbSession, file: string, format: SourceFormat, tsColumn: string, keys: readonly string[]): Promise<string> {
  const path = quoteLiteral(file);
  const reader =
    format === 'csv' ? `read_csv(${path}, header = true)` : format === 'parquet' ? `read_parquet(${path})` : `read_json(${path}, format = 'newline_delimited')`;
  try {
    // A table keeps the file's row order (insertion order is preserved), so rowid is the request order.
    await s.run(`CREATE OR REPLACE TEMP TABLE entities_raw AS SELECT * FROM ${reader}`);
  } catch (error) {
    throw new InvalidArgumentError(`body: cannot read the entity frame as ${format}: ${(error as Error).message.split('\n')[0]}`, { field: 'body' });
  }
  const described = await s.all<{ column_name: string; column_type: string }>('DESCRIBE entities_raw');
  const columns = new Map(described.map((c) => [c.column_name, c.column_type]));
  if (columns.has('_row')) throw new InvalidArgumentError('entities: the column name _row is reserved', { field: '_row' });
  for (const needed of [tsColumn, ...keys]) {
    if (!columns.has(needed)) throw new InvalidArgumentError(`entities: the column ${needed} is missing`, { field: needed });
  }
  const select = described.map((c) => {
    const col = quoteSourceColumn(c.column_name);
    if (c.column_name === tsColumn) return `${parseTimestamp(col, c.column_type)} AS ${col}`;
    if (keys.includes(c.column_name)) return `CAST(${col} AS VARCHAR) AS ${col}`;
    return col;
  });
  // `_row` carries the request order; every later use orders by it, so no sort is needed here.
  await s.run(`CREATE OR REPLACE TEMP TABLE entities AS SELECT ${select.join(', ')}, rowid AS _row FROM entities_raw`);
  const ts = quoteIdent(tsColumn);
  // The raw text of unparseable timestamps is looked up only for the rows that failed.
  const bad = await s.all<{ row: number; raw: string | null }>(
    `SELECT e._row AS row, CAST(r.${quoteSourceColumn(tsColumn)} AS VARCHAR) AS raw
     FROM (SELECT _row FROM entities WHERE ${ts} IS NULL ORDER BY _row LIMIT 5) AS e JOIN entities_raw AS r ON r.rowid = e._row ORDER BY e._row`,
  );
  await s.run('DROP TABLE entities_raw');
  if (bad.length) {
    throw new InvalidArgumentError(`entities[${bad[0].row}].${tsColumn}: cannot parse ${JSON.stringify(bad[0].raw)} as a UTC timestamp`, {
      field: `entities[${bad[0].row}].${tsColumn}`,
      rows: bad,
    });
  }
  return contentDigest(s, 'entities', '_row', ['_row']);
}

/**
 * The TTL-window join is chosen while a TTL window holds at most this many offline rows of a key
 * on average (daily bars with a TTL of days: about 6); beyond it the join multiplies rows and the
 * ASOF JOIN wins. Measured on 12.6M daily bars, 1M entity rows, 3 views: the join alone 7.9 s
 * and 0.9 GiB against 13.1 s and 4.0 GiB for a hand-written ASOF JOIN; see `npm run bench --
 * training-set` for the whole path.
 */
const WINDOW_JOIN_MAX_CANDIDATES = 32;

/** Offline rows of one key the TTL-window join looks at per entity row: two TTL-wide buckets' worth. */
export function windowCandidates(rows: number, keys: number, state: MaterializationState, ttlSeconds: number): number {
  const spanSeconds = Math.max(ttlSeconds, (Date.parse(state.end) - Date.parse(state.start)) / 1000);
  return (rows / Math.max(1, keys)) * ((2 * ttlSeconds) / spanSeconds);
}

function parseMode(value: unknown): PointInTimeMode {
  if (value === undefined || value === 'event') return 'event';
  if (value === 'knowledge') return 'knowledge';
  throw new InvalidArgumentError(`pointInTime: must be "event" or "knowledge", got ${JSON.stringify(value)}`, { field: 'pointInTime' });
}

function parseRunId(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !RUN_ID.test(value)) throw new InvalidArgumentError('runId: 1 to 200 characters of letters, digits, _ . : -', { field: 'runId' });
  return value;
}

interface Spine {
  readonly from: string;
  readonly symbols: readonly string[] | 'all';
  readonly start?: Date;
  readonly end?: Date;
}

/** `{"from": dataset, "symbols": [...] | "all", "start"?, "end"?}`: the entity frame made from a dataset's bars. */
function parseSpine(value: unknown): Spine | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  assertIdentifier(v.from, 'entities.from');
  const symbols = v.symbols === undefined || v.symbols === 'all' ? 'all' : v.symbols;
  if (symbols !== 'all' && (!Array.isArray(symbols) || symbols.length === 0 || symbols.some((x) => typeof x !== 'string'))) {
    throw new InvalidArgumentError('entities.symbols: a non-empty list of symbols, or "all"', { field: 'entities.symbols' });
  }
  return {
    from: v.from,
    symbols: symbols as string[] | 'all',
    start: v.start === undefined ? undefined : parseUtc(v.start, 'entities.start'),
    end: v.end === undefined ? undefined : parseUtc(v.end, 'entities.end'),
  };
}

function entityRows(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidArgumentError('entities: a non-empty array of entity rows is required', { field: 'entities' });
  value.forEach((row, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new InvalidArgumentError(`entities[${i}]: must be an object`, { field: `entities[${i}]` });
  });
  return value as Record<string, unknown>[];
}

function emptyOffline(keys: readonly string[], features: ReadonlyArray<readonly [string, string]>): string {
  const cols = [...keys.map((k) => `NULL::VARCHAR AS ${quoteIdent(k)}`), 'NULL::TIMESTAMPTZ AS event_ts', 'NULL::TIMESTAMPTZ AS created_ts', ...features.map(([f, t]) => `NULL::${t} AS ${quoteIdent(f)}`)];
  return `(SELECT ${cols.join(', ')} WHERE false)`;
}

/**
 * The content digest of a relation, the same whatever format the set is served in: SHA-256 over
 * the column names and types, the row count and two 64-bit fingerprints of the rows. Each
 * fingerprint XORs DuckDB's hash of every row with its position (`order`) under one seed, so it
 * changes with any value and with the order, and is computed in parallel without a sort or any
 * text formatting (1M x 13 columns: 0.15 s; MD5s of JSON rows in row order took 1.9 s). The same
 * data gives the same digest with the same DuckDB version. The position is hashed last as well:
 * DuckDB's multi-argument hash mixes every argument but the last, which it only XORs in, so a
 * last value column would otherwise cancel out across rows (swapped values, paired changes).
 */
export async function contentDigest(s: DuckDbSession, relation: string, order: string, exclude: readonly string[] = []): Promise<string> {
  const columns = (await s.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${relation}`)).filter((c) => !exclude.includes(c.column_name));
  const header = JSON.stringify(columns.map((c) => [c.column_name, c.column_type]));
  const values = [order, ...columns.map((c) => quoteIdent(c.column_name)), order].join(', ');
  const fingerprint = (seed: number) => `coalesce(CAST(bit_xor(hash(${seed}, ${values})) AS VARCHAR), '0')`;
  const row = await s.one<{ d: string }>(
    `SELECT sha256(${quoteLiteral(header)} || ':' || count(*) || ':' || ${fingerprint(1)} || ':' || ${fingerprint(2)}) AS d FROM ${relation}`,
  );
  return row!.d;
}
