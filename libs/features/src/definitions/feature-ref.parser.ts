import { InvalidArgumentError } from '../errors/feature-store.error';

/** `view:feature` (latest version) or `view@3:feature` (pinned). */
export interface FeatureRef {
  readonly view: string;
  readonly version: number | null;
  readonly feature: string;
}

const REF = /^([A-Za-z_][A-Za-z0-9_]{0,62})(?:@(\d{1,9}))?:([A-Za-z_][A-Za-z0-9_]{0,62})$/;

/** Parses a feature reference; throws naming `field` when it is malformed. */
export function parseFeatureRef(text: unknown, field = 'features'): FeatureRef {
  const match = typeof text === 'string' ? REF.exec(text.trim()) : null;
  if (!match) {
    throw new InvalidArgumentError(`${field}: ${JSON.stringify(text)} is not a feature reference (view:feature or view@version:feature)`, { field });
  }
  const version = match[2] === undefined ? null : Number(match[2]);
  if (version === 0) throw new InvalidArgumentError(`${field}: versions start at 1`, { field });
  return { view: match[1], version, feature: match[3] };
}
