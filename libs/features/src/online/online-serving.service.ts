import type { FeatureType } from '../definitions/feature-definition';
import type { FeatureSelection } from '../definitions/feature-ref.resolver';
import type { FeatureViewService } from '../definitions/feature-view.service';
import { ErrorCode, FeatureStoreError, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { DefinitionRepository } from '../registry/definition.repository';
import type { Clock } from '../util/clock';
import { expiresAtMs, parseTimeSpan, type TimeSpan } from '../calendar/session-span';
import type { OnlineRow, OnlineStoreDriver, OnlineTable } from './online-store.driver';

export type OnlineValue = number | boolean | string | null;

/** Status of one value: found and fresh, no row for the key, or a row older than the view's TTL. */
export type OnlineStatus = 'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_TTL';

/** An online lookup: the features (or a feature service) and the key values of each join key column. */
export interface OnlineLookup extends FeatureSelection {
  /** `{"symbol": ["BTC-USD", …]}`: one array per join key column, all of the same length. */
  readonly entities: Readonly<Record<string, readonly string[]>>;
}

/** One requested feature, resolved to its view version. */
export interface OnlineColumn {
  readonly view: string;
  readonly version: number;
  readonly feature: string;
  /** `view__feature`. */
  readonly name: string;
  /** The feature's declared type (DOUBLE, BIGINT, INTEGER, BOOLEAN, VARCHAR). */
  readonly type: FeatureType;
}

/** One view version's part of an answer. */
export interface OnlineTableResult {
  /** rows[j]: the view version's row of entity j; undefined where there is none. */
  readonly rows: ReadonlyArray<OnlineRow | undefined>;
  /** statuses[j]: the status of every value entity j gets from this view version. */
  readonly statuses: readonly OnlineStatus[];
}

/**
 * The answer as read, one part per view version (the shape both HTTP routes are rendered from
 * without copying values): column c's value for entity j is the feature's value in
 * tables[columnTable[c]].rows[j] when that entity's status there is PRESENT, else null.
 * `columns` and `columnTable` come from a cached resolution: the same arrays while it lasts.
 */
export interface OnlineResult {
  readonly keyColumns: readonly string[];
  /** keys[k][j]: key column k of entity j. */
  readonly keys: ReadonlyArray<readonly string[]>;
  readonly columns: readonly OnlineColumn[];
  /** columnTable[c]: the index in `tables` of column c's view version. */
  readonly columnTable: readonly number[];
  readonly tables: readonly OnlineTableResult[];
}

/** Counts the serving path reports (the API turns them into Prometheus metrics). */
export interface OnlineObserver {
  lookup(present: number, notFound: number, outsideTtl: number): void;
  storeError(store: string): void;
}

interface Plan {
  readonly keyColumns: readonly string[];
  readonly tables: readonly PlanTable[];
  readonly columns: readonly OnlineColumn[];
  /** Per column: index into tables. */
  readonly columnTable: readonly number[];
  /** Per table: how many of the columns are its. */
  readonly tableWidths: readonly number[];
  /** Tables with the same join keys, read together (usually one group: every view keyed by symbol). */
  readonly readGroups: ReadonlyArray<readonly number[]>;
}

interface PlanTable extends OnlineTable {
  /** Positions in keyColumns of this view's entity join keys, in the entity's order. */
  readonly keyIndexes: readonly number[];
  /** The view's TTL (a duration or a count of sessions), null: forever. */
  readonly ttl: TimeSpan | null;
}

const PLAN_CACHE_LIMIT = 10_000;
// Another process's definition change must be served within a second (by every replica): half
// of that leaves room for the request that notices it. One registry read per period is cheap.
const GENERATION_CHECK_MS = 500;

/**
 * Online lookup: the latest feature values of a few entities. The hot path resolves references
 * from a cache (dropped when this process applies a definition, and at most a second after
 * another process does), reads every view version in one store round trip, and runs no SQL.
 */
export class OnlineServingService {
  private readonly plans = new Map<string, Plan>();
  private generation = -1;
  private checkedAt = 0;

  constructor(
    private readonly features: FeatureViewService,
    private readonly registry: DefinitionRepository,
    private readonly store: OnlineStoreDriver,
    private readonly clock: Clock,
    private readonly maxKeys: number,
  ) {
    features.onDefinitionsChanged(() => this.invalidate());
  }

  private observer: OnlineObserver | null = null;

  /** Reports lookups and store errors to `observer` (e.g. Prometheus counters). */
  observe(observer: OnlineObserver): void {
    this.observer = observer;
  }

  /** Drops every cached resolution (after a definition changed). */
  invalidate(): void {
    this.plans.clear();
    this.checkedAt = 0;
  }

  /** The latest values of the requested features for each entity, with a status per value. */
  async lookup(request: OnlineLookup): Promise<OnlineResult> {
    const plan = await this.plan(request);
    const keys = entityKeys(request.entities, plan.keyColumns, this.maxKeys);
    const count = keys[0].length;
    const rows: Array<Array<OnlineRow | undefined>> = new Array(plan.tables.length);
    try {
      for (const indexes of plan.readGroups) {
        const keyIndexes = plan.tables[indexes[0]].keyIndexes;
        const tupleKeys: string[][] = new Array(count);
        for (let j = 0; j < count; j++) tupleKeys[j] = keyIndexes.map((k) => keys[k][j]);
        const read = await this.store.read(
          indexes.map((i) => plan.tables[i]),
          tupleKeys,
        );
        indexes.forEach((tableIndex, n) => (rows[tableIndex] = read[n]));
      }
    } catch (error) {
      this.observer?.storeError(this.store.name);
      throw error;
    }

    const now = this.clock.now().getTime();
    let present = 0;
    let notFound = 0;
    let outside = 0;
    const tables: OnlineTableResult[] = plan.tables.map((t, i) => {
      const statuses: OnlineStatus[] = new Array(count);
      const width = plan.tableWidths[i];
      rows[i].forEach((row, j) => {
        if (row === undefined) {
          statuses[j] = 'NOT_FOUND';
          notFound += width;
        } else if (t.ttl !== null && now > expiresAtMs(t.ttl, eventMillis(row))) {
          statuses[j] = 'OUTSIDE_TTL';
          outside += width;
        } else {
          statuses[j] = 'PRESENT';
          present += width;
        }
      });
      return { rows: rows[i], statuses };
    });
    this.observer?.lookup(present, notFound, outside);
    return { keyColumns: plan.keyColumns, keys, columns: plan.columns, columnTable: plan.columnTable, tables };
  }

  /** The resolved references of a request, from the cache when nothing changed since. */
  private async plan(request: OnlineLookup): Promise<Plan> {
    await this.checkGeneration();
    const cacheKey = planKey(request);
    const cached = this.plans.get(cacheKey);
    if (cached) return cached;
    const plan = await this.resolve(request);
    if (this.plans.size >= PLAN_CACHE_LIMIT) this.plans.clear();
    this.plans.set(cacheKey, plan);
    return plan;
  }

  private async checkGeneration(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < GENERATION_CHECK_MS) return;
    this.checkedAt = now;
    const generation = await this.registry.definitionsGeneration();
    if (generation !== this.generation) {
      this.plans.clear();
      this.generation = generation;
    }
  }

  private async resolve(request: OnlineLookup): Promise<Plan> {
    const resolved = await this.features.refs.resolve(request);
    const tables: PlanTable[] = [];
    const tableIndex = new Map<string, number>();
    const keyColumns: string[] = [];
    const columns: OnlineColumn[] = [];
    const columnTable: number[] = [];
    for (const { record, feature, column, field } of resolved) {
      // A label is known only after its horizon: serving it would hand a model the future.
      if (record.definition.kind === 'label') {
        throw new UnprocessableError(ErrorCode.LabelMisuse, `${field}: ${record.name} is a label view; labels are not served online (ask for them in a training set's labels)`, { field, view: record.name });
      }
      const id = `${record.name}@${record.version}`;
      let t = tableIndex.get(id);
      if (t === undefined) {
        const entity = await this.registry.getEntity(record.definition.entity);
        if (!entity) throw new FeatureStoreError(ErrorCode.UnknownEntity, `${field}: entity ${record.definition.entity} of ${id} does not exist`, { field });
        const keyIndexes = entity.joinKeys.map((k) => {
          const at = keyColumns.indexOf(k);
          return at >= 0 ? at : keyColumns.push(k) - 1;
        });
        const ttl = record.definition.ttl === null ? null : parseTimeSpan(record.definition.ttl, 'ttl', record.definition.calendar);
        t = tables.push({ view: record.name, version: record.version, keyIndexes, ttl }) - 1;
        tableIndex.set(id, t);
      }
      const type = record.definition.features.find((f) => f.name === feature)!.type;
      columns.push({ view: record.name, version: record.version, feature, name: column, type });
      columnTable.push(t);
    }
    const groups = new Map<string, number[]>();
    tables.forEach((t, i) => {
      const sig = t.keyIndexes.join(',');
      const group = groups.get(sig);
      if (group) group.push(i);
      else groups.set(sig, [i]);
    });
    const tableWidths = tables.map((_, t) => columnTable.filter((c) => c === t).length);
    return { keyColumns, tables, columns, columnTable, tableWidths, readGroups: [...groups.values()] };
  }
}

function planKey(request: OnlineLookup): string {
  if (request.featureService !== undefined) return request.features === undefined ? `s\u0000${request.featureService}` : `x\u0000${Math.random()}`;
  return request.features === undefined ? `x\u0000${Math.random()}` : `f\u0000${request.features.join('\u0000')}`;
}

// A row's event time in epoch ms, parsed once per row object (the drivers hand back the same
// object while the stored row is unchanged).
const eventTimes = new WeakMap<OnlineRow, number>();
function eventMillis(row: OnlineRow): number {
  let ms = eventTimes.get(row);
  if (ms === undefined) eventTimes.set(row, (ms = Date.parse(row.eventTs)));
  return ms;
}

/**
 * The key values of each join key column, in the plan's order. The edge checked the shape (arrays
 * of non-empty strings); what depends on the requested features is checked here.
 */
function entityKeys(given: OnlineLookup['entities'], keyColumns: readonly string[], maxKeys: number): Array<readonly string[]> {
  for (const name in given) {
    if (!keyColumns.includes(name)) {
      throw new InvalidArgumentError(`entities.${name}: not a join key of the requested features (expected ${keyColumns.join(', ')})`, { field: `entities.${name}` });
    }
  }
  let length = -1;
  return keyColumns.map((name) => {
    const column = given[name];
    const field = `entities.${name}`;
    if (column === undefined) throw new InvalidArgumentError(`${field}: the join key ${name} is missing`, { field });
    if (column.length === 0) throw new InvalidArgumentError(`${field}: a non-empty array of keys is required`, { field });
    if (column.length > maxKeys) throw new InvalidArgumentError(`${field}: ${column.length} keys, at most ${maxKeys} per request (ONLINE_MAX_KEYS)`, { field, limit: maxKeys });
    if (length >= 0 && column.length !== length) throw new InvalidArgumentError(`${field}: ${column.length} keys, but the other key columns have ${length}`, { field });
    length = column.length;
    return column;
  });
}
