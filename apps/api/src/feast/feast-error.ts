import { ErrorCode, FeatureStoreError } from '@app/features';

/** The paths of Feast's feature-server routes, whose errors keep Feast's shape. */
export const FEAST_ROUTES = ['/get-online-features', '/push', '/write-to-online-store'] as const;

/** True for a URL (with or without a query) on one of Feast's routes. */
export function isFeastRoute(url: string): boolean {
  const path = url.split('?')[0];
  return (FEAST_ROUTES as readonly string[]).includes(path);
}

/**
 * An error in Feast's own shape: a JSON string holding {"module": "feast.errors", "class",
 * "message"}, which Feast's SDK turns back into the matching exception class. The status and the
 * message (naming the field) are ours.
 */
export function feastErrorBody(error: unknown, message: string): string {
  return JSON.stringify(JSON.stringify({ module: 'feast.errors', class: feastClass(error), message }));
}

function feastClass(error: unknown): string {
  if (!(error instanceof FeatureStoreError)) return 'FeastError';
  const field = (error.details as { field?: string } | undefined)?.field ?? '';
  if (error.code === ErrorCode.UnknownFeature) return /unknown feature view/.test(error.message) ? 'FeatureViewNotFoundException' : 'FeastObjectNotFoundException';
  if (error.code === ErrorCode.UnknownReference && field === 'featureService') return 'FeatureServiceNotFoundException';
  if (error.code === ErrorCode.UnknownReference && field === 'push_source_name') return 'PushSourceNotFoundException';
  return 'FeastError';
}
