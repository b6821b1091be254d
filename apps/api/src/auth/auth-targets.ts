import type { FastifyRequest } from 'fastify';
import type { AuthTarget } from './scope.decorator';

// The guard runs before the route's schema, so bodies are read defensively here: a body the
// schema will refuse names nothing, and the route answers its own 400.

const param = (name: string) => (request: FastifyRequest): string[] => {
  const value = (request.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? [value] : [];
};

const bodyField = (request: FastifyRequest, field: string): unknown => {
  const body = request.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) ? (body as Record<string, unknown>)[field] : undefined;
};

/** `view:feature` or `view@v2:feature` → `view`. */
function viewOfRef(ref: unknown): string[] {
  if (typeof ref !== 'string') return [];
  const view = ref.split(':')[0].split('@')[0];
  return view === '' ? [] : [view];
}

/** The dataset named by the path's `:name`. */
export const datasetInPath: AuthTarget = { kind: 'datasets', names: param('name') };

/** The view named by the path's `:name`. */
export const viewInPath: AuthTarget = { kind: 'views', names: param('name') };

const queryField = (request: FastifyRequest, field: string): unknown => (request.query as Record<string, unknown> | undefined)?.[field];

/** The views of the feature references in a JSON body's `features`, or in the query's (training sets sent as a frame). */
export const viewsOfFeatures: AuthTarget = {
  kind: 'views',
  names: (request) => {
    const features = bodyField(request, 'features');
    if (Array.isArray(features)) return features.flatMap(viewOfRef);
    const listed = queryField(request, 'features');
    return typeof listed === 'string' ? listed.split(',').flatMap((f) => viewOfRef(f.trim())) : [];
  },
};

/**
 * A feature service named in the body (`featureService`, Feast's `feature_service`) or the query.
 * Its views are only known from the registry, so a key limited to views may use no service.
 */
export const featureService: AuthTarget = {
  kind: 'services',
  names: (request) => ['featureService', 'feature_service'].flatMap((f) => stringField(request, f)).concat(typeof queryField(request, 'featureService') === 'string' ? [queryField(request, 'featureService') as string] : []),
};

/**
 * A Feast push source names a view or a dataset, which the guard cannot tell apart without the
 * registry: so a limited key's patterns must allow the name either way (both targets).
 */
export const pushSource: readonly AuthTarget[] = [
  { kind: 'datasets', names: (request) => stringField(request, 'push_source_name') },
  { kind: 'views', names: (request) => stringField(request, 'push_source_name') },
];

/** The view of Feast's write-to-online-store. */
export const writtenView: AuthTarget = { kind: 'views', names: (request) => stringField(request, 'feature_view_name') };

function stringField(request: FastifyRequest, field: string): string[] {
  const value = bodyField(request, field);
  return typeof value === 'string' ? [value] : [];
}
