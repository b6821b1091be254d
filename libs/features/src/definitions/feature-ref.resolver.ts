import { ErrorCode, InvalidArgumentError, UnprocessableError } from '../errors/feature-store.error';
import type { DefinitionRepository, ViewVersionRecord } from '../registry/definition.repository';
import { parseFeatureRef } from './feature-ref.parser';

/** What a request asks for: a list of references, or the name of a feature service (not both). */
export interface FeatureSelection {
  readonly features?: readonly string[];
  readonly featureService?: string;
}

/** One requested feature, resolved to the exact view version that serves it. */
export interface ResolvedFeature {
  readonly record: ViewVersionRecord;
  readonly feature: string;
  /** The output column: `view__feature`, or `view@N__feature` when the request has the feature at several versions. */
  readonly column: string;
  /** Where the reference came from, for messages: `features[i]`. */
  readonly field: string;
}

/**
 * Resolves feature references (`view:feature`, `view@3:feature`) and feature services to view
 * versions, the same way for training sets and online serving: an unknown view, version, feature
 * or service is a 422 naming the field; the same output column twice is a 400.
 */
export class FeatureRefResolver {
  constructor(private readonly registry: Pick<DefinitionRepository, 'getView' | 'getViewVersion' | 'getService'>) {}

  /** The references a selection names, in request order (a service's are expanded). */
  async references(selection: FeatureSelection): Promise<readonly string[]> {
    if (selection.featureService !== undefined) {
      if (selection.featureService === '') throw new InvalidArgumentError('featureService: must be the name of a feature service', { field: 'featureService' });
      if (selection.features !== undefined) throw new InvalidArgumentError('features: give either features or featureService, not both', { field: 'features' });
      const service = await this.registry.getService(selection.featureService);
      if (!service) {
        throw new UnprocessableError(ErrorCode.UnknownReference, `featureService: no feature service ${JSON.stringify(selection.featureService)}`, { field: 'featureService' });
      }
      return service.definition.features;
    }
    if (selection.features === undefined || selection.features.length === 0) {
      throw new InvalidArgumentError('features: a non-empty list of feature references (or featureService) is required', { field: 'features' });
    }
    return selection.features;
  }

  /**
   * Resolves every reference of a selection; each output column may appear once. A column is
   * `view__feature`, or `view@N__feature` when the same feature of a view is asked at several
   * versions (only those columns: the others keep their plain names, and so their digests).
   */
  async resolve(selection: FeatureSelection): Promise<ResolvedFeature[]> {
    const refs = await this.references(selection);
    const picked: Array<{ record: ViewVersionRecord; feature: string; field: string }> = [];
    const versionsOf = new Map<string, Set<number>>();
    for (const [i, text] of refs.entries()) {
      const field = `features[${i}]`;
      const { record, feature } = await this.resolveOne(text, field);
      picked.push({ record, feature, field });
      const plain = plainColumn(record.name, feature);
      versionsOf.set(plain, (versionsOf.get(plain) ?? new Set<number>()).add(record.version));
    }
    const columns = new Set<string>();
    return picked.map(({ record, feature, field }) => {
      const plain = plainColumn(record.name, feature);
      const column = versionsOf.get(plain)!.size > 1 ? `${record.name}@${record.version}__${feature}` : plain;
      if (columns.has(column)) throw new InvalidArgumentError(`${field}: ${column} is requested twice`, { field });
      columns.add(column);
      return { record, feature, column, field };
    });
  }

  /** Resolves one `view[@N]:feature` to its version record; 422 naming `field` when it names nothing. */
  async resolveOne(text: string, field: string): Promise<{ record: ViewVersionRecord; feature: string }> {
    const ref = parseFeatureRef(text, field);
    const view = await this.registry.getView(ref.view);
    if (!view) throw new UnprocessableError(ErrorCode.UnknownFeature, `${field}: unknown feature view ${ref.view}`, { field, ref: text });
    const version = ref.version ?? view.latest;
    const record = await this.registry.getViewVersion(ref.view, version);
    if (!record) throw new UnprocessableError(ErrorCode.UnknownFeature, `${field}: feature view ${ref.view} has no version ${version}`, { field, ref: text });
    if (!record.definition.features.some((f) => f.name === ref.feature)) {
      throw new UnprocessableError(ErrorCode.UnknownFeature, `${field}: ${ref.view}@${version} has no feature ${ref.feature}`, { field, ref: text });
    }
    return { record, feature: ref.feature };
  }
}

function plainColumn(view: string, feature: string): string {
  return `${view}__${feature}`;
}
