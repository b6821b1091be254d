import type { FeatureRefResolver, ResolvedFeature } from '../definitions/feature-ref.resolver';
import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { ViewVersionRecord } from '../registry/definition.repository';
import { AVAILABLE_AT } from '../definitions/feature-definition';

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

/**
 * What a training set takes from one label view version: its requested labels, then its
 * available_at (`view__available_at`), as [offline column, type, output column].
 */
export function labelViewColumns(v: ViewVersionRecord, labels: readonly ResolvedLabel[]): Array<readonly [string, string, string]> {
  const mine = labels.filter((l) => l.record.name === v.name && l.record.version === v.version);
  return [
    ...mine.map((l) => [l.label, v.definition.features.find((f) => f.name === l.label)!.type, l.column] as const),
    [AVAILABLE_AT, 'TIMESTAMPTZ', `${v.name}__${AVAILABLE_AT}`] as const,
  ];
}
