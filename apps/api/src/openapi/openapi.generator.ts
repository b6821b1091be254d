import type { z } from 'zod';
import { isFeastRoute } from '../feast/feast-error';
import { OPERATIONS, RESPONSE_SCHEMAS, type SuccessAnswer } from './response-schemas';
import type { ApiRoute, RouteAuth } from './route-inventory';
import { acceptsUndefined, objectOf, toJsonSchema, type JsonSchema } from './zod-json-schema';

/** An OpenAPI 3.1 document as plain data. */
export type OpenApiDocument = {
  readonly openapi: string;
  readonly info: Record<string, unknown>;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: Record<string, unknown>;
  readonly [key: string]: unknown;
};

/** One operation of the document (the fields the docs page reads are typed). */
export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly 'x-scope': string;
  readonly parameters?: ReadonlyArray<{ name: string; in: string; required: boolean; description?: string; schema: JsonSchema }>;
  readonly requestBody?: { required: boolean; description?: string; content: Record<string, { schema: JsonSchema }> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }>; headers?: Record<string, { description: string; schema: JsonSchema }> }>;
  readonly [key: string]: unknown;
}

const DESCRIPTION = `Market-data feature store: datasets (the Parquet lake), versioned feature views, point-in-time
training sets, online lookups, run lineage, and Feast's feature-server routes.

Generated from the zod schemas that validate each request (a body this document refuses, the
server refuses with 400) and from each route's declared scope.

**Auth.** Without \`AUTH_KEYS_FILE\` no key is needed. With it, send \`Authorization: Bearer <key>\`;
each operation needs the scope in \`x-scope\` (\`read\`, \`write\` or \`admin\`; none implies
another). \`x-scope: public\` needs no key; \`/health\` and \`/metrics\` need none either when
\`METRICS_PUBLIC=true\`. \`x-key-patterns\` lists the kinds of names (datasets, views, services) checked
against a key limited by patterns. 401 without a valid key, 403 without the scope or outside the key's patterns.

**Errors.** \`{"error": {"code", "message", "details"}}\` (schema \`Error\`); the message starts with
the field it is about. Feast's routes answer Feast's shape instead (\`FeastError\`). Every code:
docs/errors.md. The contract in prose: docs/api.md.`;

const SECURITY = {
  bearer: { type: 'http', scheme: 'bearer', description: 'An API key of AUTH_KEYS_FILE (`npm run keys -- create`); not needed when the server runs without keys.' },
};

/** The OpenAPI 3.1 document of the given routes. */
export function buildOpenApiDocument(routes: readonly ApiRoute[], version: string): OpenApiDocument {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Market-data feature store API', version, description: DESCRIPTION },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map(tagOf))].map((name) => ({ name })),
    paths,
    components: { securitySchemes: SECURITY, schemas: RESPONSE_SCHEMAS },
  };
}

function operation(route: ApiRoute): Operation {
  const key = `${route.method} ${route.path}`;
  // A route not yet described in response-schemas.ts is still documented from its metadata
  // (marked, and the OpenAPI test fails on the mark).
  const doc = OPERATIONS[key] ?? { summary: key, answers: [], undescribed: true };
  const parameters = [...pathParameters(route), ...queryParameters(route.query, undefined), ...queryParameters(route.documentedBody?.query, 'with a table body only')];
  const requestBody = body(route);
  return {
    operationId: `${tagOf(route)}.${route.handler}`,
    summary: doc.summary,
    description: `${doc.summary}. ${scopeText(route.auth)}`,
    tags: [tagOf(route)],
    'x-scope': route.auth.public ? 'public' : route.auth.scope,
    ...(route.auth.public ? { 'x-public': true } : {}),
    ...('undescribed' in doc ? { 'x-undescribed': 'add this route to OPERATIONS in apps/api/src/openapi/response-schemas.ts' } : {}),
    ...(!route.auth.public && route.auth.metrics ? { 'x-metrics-public': 'no key needed when METRICS_PUBLIC=true' } : {}),
    ...(!route.auth.public && route.auth.patterns.length > 0 ? { 'x-key-patterns': route.auth.patterns } : {}),
    security: security(route.auth),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody !== undefined ? { requestBody } : {}),
    responses: responses(route, doc.answers, parameters.length > 0 || requestBody !== undefined),
  };
}

function tagOf(route: ApiRoute): string {
  const name = route.controller.replace(/Controller$/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function scopeText(auth: RouteAuth): string {
  if (auth.public) return 'Public: no key needed.';
  const metrics = auth.metrics ? ' (no key at all when METRICS_PUBLIC=true)' : '';
  const patterns = auth.patterns.length > 0 ? ` A key limited by name patterns must allow the ${auth.patterns.join(' and ')} it names.` : '';
  return `Needs a key with the scope \`${auth.scope}\`${metrics} when the server has AUTH_KEYS_FILE.${patterns}`;
}

function security(auth: RouteAuth): Array<Record<string, string[]>> {
  if (auth.public) return [];
  // An empty requirement makes the key optional: METRICS_PUBLIC=true opens these routes.
  return auth.metrics ? [{ bearer: [] }, {}] : [{ bearer: [] }];
}

function pathParameters(route: ApiRoute): NonNullable<Operation['parameters']> {
  return route.pathParams.map(({ name, schema }) => ({ name, in: 'path', required: true, schema: schema === undefined ? { type: 'string' } : toJsonSchema(schema) }));
}

function queryParameters(schema: z.ZodTypeAny | undefined, description: string | undefined): NonNullable<Operation['parameters']> {
  const object = schema === undefined ? undefined : objectOf(schema);
  if (object === undefined) return [];
  return Object.entries(object.shape as Record<string, z.ZodTypeAny>).map(([name, field]) => ({
    name,
    in: 'query',
    required: !acceptsUndefined(field),
    ...(description !== undefined ? { description } : {}),
    schema: toJsonSchema(field),
  }));
}

function body(route: ApiRoute): Operation['requestBody'] {
  if (route.jsonBody !== undefined) {
    return { required: !acceptsUndefined(route.jsonBody), content: { 'application/json': { schema: toJsonSchema(route.jsonBody) } } };
  }
  const documented = route.documentedBody;
  if (documented === undefined) return undefined;
  const content: Record<string, { schema: JsonSchema }> = {};
  if (documented.json !== undefined) content['application/json'] = { schema: toJsonSchema(documented.json) };
  for (const type of documented.raw ?? []) content[type] = { schema: { type: 'string', format: 'binary' } };
  return { required: true, description: documented.description, content };
}

function responses(route: ApiRoute, answers: readonly SuccessAnswer[], checksInput: boolean): Operation['responses'] {
  const out: Operation['responses'] = {};
  for (const answer of answers) {
    const content = answer.content === undefined ? undefined : Object.fromEntries(Object.entries(answer.content).map(([type, schema]) => [type, { schema }]));
    out[String(answer.status)] = { description: answer.description, ...(content !== undefined ? { content } : {}) };
  }
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${isFeastRoute(route.path) ? 'FeastError' : 'Error'}` } } },
  });
  const hasBody = route.jsonBody !== undefined || route.documentedBody !== undefined;
  if (checksInput) out['400'] = error('a field the schema refuses (the message names it)');
  if (!route.auth.public) {
    out['401'] = error('no key, or an unknown one (with AUTH_KEYS_FILE)');
    out['403'] = error(`the key lacks the scope ${route.auth.scope}, or names something outside its patterns`);
  }
  if (route.pathParams.length > 0) out['404'] = error('the path names nothing');
  // Every keyed request counts against RATE_LIMIT_RPS; /health/live never does.
  if (route.path !== '/health/live') {
    out['429'] = { ...error('the key is over RATE_LIMIT_RPS, or (training sets, materialisation) already runs RATE_LIMIT_HEAVY heavy requests'), headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } };
  }
  if (hasBody) {
    out['413'] = error('a body over BODY_LIMIT_MB');
    out['415'] = error('a Content-Type the route does not take');
    out['422'] = error('well-formed but unusable (e.g. an unknown feature or view)');
  }
  out.default = error('any other error (503 a store is down, 500 a bug); docs/errors.md');
  return out;
}
