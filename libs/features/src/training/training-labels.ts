import { ttlJoinInput } from '../calendar/session-span';
import type { FeatureRefResolver, ResolvedFeature } from '../definitions/feature-ref.resolver';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { ViewVersionRecord } from '../registry/definition.repository';
import { fileListLiteral, sql } from '../sql/sql';
import { AVAILABLE_AT } from '../definitions/feature-definition';
import { emptyLabelOffline, type LabelViewInput } from './labels.sql';
import type { OfflineVersionReader } from './offline-version.reader';

/** Most labels one training set asks for. */
export const MAX_LABELS = 100;

/** One requested label, resolved to its label view version. */
export interface ResolvedLabel {
  readonly record: ViewVersionRecord;
  readonly label: string;
  /** The output column: `view__label`. */
  readonly column: string;
  /** Where the reference came from, for messages: `labels[i]`. */
  readonly field: string;
}


/**
 * Resolves `labels` (`view[@N]:label`) to label view versions: a feature view there is a 422
 * naming the field, one view at two versions or a label twice a 400 (each view has one
 * `view__available_at` column).
 */
export async function resolveLabels(refs: FeatureRefResolver, labels: readonly string[]): Promise<ResolvedLabel[]> {
  if (labels.length > MAX_LABELS) throw new InvalidArgumentError(`labels: at most ${MAX_LABELS} labels`, { field: 'labels' });
  const out: ResolvedLabel[] = [];
  const versionOf = new Map<string, number>();
  for (const [i, text] of labels.entries()) {
    const field = `labels[${i}]`;
    const { record, feature } = await refs.resolveOne(text, field);
    if (record.definition.kind !== 'label') {
      throw new UnprocessableError(ErrorCode.LabelMisuse, `${field}: ${record.name} is a feature view, not a label view (ask for it in features)`, { field, view: record.name });
    }
    const seen = versionOf.get(record.name);
    if (seen !== undefined && seen !== record.version) throw new InvalidArgumentError(`${field}: ${record.name} is asked at versions ${seen} and ${record.version}; one version per label view`, { field });
    versionOf.set(record.name, record.version);
    const column = `${record.name}__${feature}`;
    if (out.some((l) => l.column === column)) throw new InvalidArgumentError(`${field}: ${column} is requested twice`, { field });
    out.push({ record, label: feature, column, field });
  }
  return out;
}

/**
 * Refuses a label view among a training set's features: the point-in-time rules would hand each
 * row a label computed from bars after it, whether it was known or not.
 */
export function assertNoLabelViews(resolved: readonly ResolvedFeature[]): void {
  const label = resolved.find((r) => r.record.definition.kind === 'label');
  if (label) {
    throw new UnprocessableError(ErrorCode.LabelMisuse, `${label.field}: ${label.record.name} is a label view; ask for its labels in labels, not features`, { field: label.field, view: label.record.name });
  }
}

/** Each label view version's part of the label join: its offline rows, TTL and columns. */
export async function labelInputs(offline: OfflineVersionReader, labels: readonly ResolvedLabel[], keysOf: (v: ViewVersionRecord) => readonly string[]): Promise<LabelViewInput[]> {
  const versions = [...new Map(labels.map((l) => [`${l.record.name}@${l.record.version}`, l.record])).values()];
  const inputs: LabelViewInput[] = [];
  for (const v of versions) {
    const { files } = await offline.files(v.name, v.version);
    const mine = labels.filter((l) => l.record.name === v.name && l.record.version === v.version);
    const types = mine.map((l) => [l.label, v.definition.features.find((f) => f.name === l.label)!.type] as const);
    inputs.push({
      view: v.name,
      version: v.version,
      // Label rows are completed by revisions as later bars arrive: always told apart by file.
      offline: files.length ? sql`read_parquet(${fileListLiteral(files)}, filename = '_offline_file')` : sql`(SELECT *, NULL::VARCHAR AS _offline_file FROM ${emptyLabelOffline(keysOf(v), types)})`,
      tieBreak: '_offline_file',
      keys: keysOf(v),
      ...ttlJoinInput(v.definition.ttl, v.definition.calendar),
      labels: mine.map((l) => [l.label, l.column] as const),
      availableAtColumn: `${v.name}__${AVAILABLE_AT}`,
    });
  }
  return inputs;
}

/** The label output columns in order: each view's labels, then its available_at. */
export function labelColumns(inputs: readonly LabelViewInput[]): string[] {
  return inputs.flatMap((v) => [...v.labels.map(([, c]) => c), v.availableAtColumn]);
}
