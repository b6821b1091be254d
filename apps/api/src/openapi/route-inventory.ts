import { RequestMethod, type Type } from '@nestjs/common';
import { CUSTOM_ROUTE_ARGS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { z } from 'zod';
import { ROUTE_ACCESS, type RouteAccess } from '../auth/scope.decorator';
import { ZodPipe } from '../common/zod.pipe';
import { DOCUMENTED_BODY, type DocumentedBody } from './documented-body.decorator';

/** Who may call a route: no key, or a key with a scope (`metrics`: no key either when METRICS_PUBLIC=true). */
export type RouteAuth =
  | { readonly public: true }
  | { readonly public: false; readonly scope: string; readonly metrics: boolean; /** Kinds of names checked against a limited key's patterns. */ readonly patterns: readonly string[] };

/** One route as Nest registers it, with the zod schemas that check its input. */
export interface ApiRoute {
  readonly method: string;
  /** OpenAPI form: `/v1/datasets/{name}`. */
  readonly path: string;
  readonly controller: string;
  readonly handler: string;
  readonly auth: RouteAuth;
  /** Path parameters in path order; `schema` undefined when the route does not check one. */
  readonly pathParams: ReadonlyArray<{ readonly name: string; readonly schema: z.ZodTypeAny | undefined }>;
  /** The schema of the whole query string (an object), when the route checks it. */
  readonly query: z.ZodTypeAny | undefined;
  /** The schema of a JSON body checked by `@JsonBody` or `@Body(pipe)`. */
  readonly jsonBody: z.ZodTypeAny | undefined;
  /** A body the handler reads itself (`@DocumentBody`). */
  readonly documentedBody: DocumentedBody | undefined;
  /** `@HttpCode`, when set. */
  readonly httpCode: number | undefined;
}

interface RouteArg {
  readonly index: number;
  readonly data?: unknown;
  readonly pipes?: readonly unknown[];
}

/**
 * Every route of the given controllers, read from the metadata Nest routes by (paths, methods,
 * argument decorators and their pipes), so the document is built from what validates requests.
 */
export function routesOf(controllers: readonly Type<unknown>[]): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const controller of controllers) {
    const prefixes = paths(Reflect.getMetadata(PATH_METADATA, controller));
    const proto = controller.prototype as Record<string, unknown>;
    for (const handler of Object.getOwnPropertyNames(proto)) {
      const fn = proto[handler];
      if (handler === 'constructor' || typeof fn !== 'function') continue;
      const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, fn);
      const routePaths: unknown = Reflect.getMetadata(PATH_METADATA, fn);
      if (method === undefined || routePaths === undefined) continue;
      for (const prefix of prefixes) {
        for (const sub of paths(routePaths)) routes.push(route(controller, handler, fn, method, joinPath(prefix, sub)));
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

function route(controller: Type<unknown>, handler: string, fn: object, method: RequestMethod, nestPath: string): ApiRoute {
  const args: Record<string, RouteArg> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {};
  const params = new Map<string, z.ZodTypeAny | undefined>();
  let paramsObject: z.ZodTypeAny | undefined;
  let query: z.ZodTypeAny | undefined;
  let jsonBody: z.ZodTypeAny | undefined;
  for (const [key, arg] of Object.entries(args)) {
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) {
      // `@JsonBody(schema)`: a custom decorator whose data holds the body's schema.
      const schema = (arg.data as { schema?: unknown } | undefined)?.schema;
      if (schema instanceof z.ZodType) jsonBody = schema;
      continue;
    }
    const type = Number(key.split(':')[0]) as RouteParamtypes;
    const schema = zodOfPipes(arg.pipes);
    if (type === RouteParamtypes.PARAM) {
      if (typeof arg.data === 'string') params.set(arg.data, schema);
      else paramsObject = schema;
    } else if (type === RouteParamtypes.QUERY && arg.data === undefined) query = schema;
    else if (type === RouteParamtypes.BODY && arg.data === undefined && schema !== undefined) jsonBody = schema;
  }
  const names = [...nestPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  const fields = paramsObject instanceof z.ZodType ? objectFields(paramsObject) : {};
  return {
    method: RequestMethod[method],
    path: nestPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
    controller: controller.name,
    handler,
    auth: authOf(Reflect.getMetadata(ROUTE_ACCESS, fn) as RouteAccess | undefined),
    pathParams: names.map((name) => ({ name, schema: params.get(name) ?? fields[name] })),
    query,
    jsonBody,
    documentedBody: Reflect.getMetadata(DOCUMENTED_BODY, fn) as DocumentedBody | undefined,
    httpCode: Reflect.getMetadata(HTTP_CODE_METADATA, fn) as number | undefined,
  };
}

// The guard's rule: a route that declares nothing needs `admin`.
function authOf(access: RouteAccess | undefined): RouteAuth {
  if (access === undefined) return { public: false, scope: 'admin', metrics: false, patterns: [] };
  if ('public' in access) return { public: true };
  return { public: false, scope: access.scope, metrics: access.metrics === true, patterns: [...new Set(access.targets.map((t) => t.kind))] };
}

function zodOfPipes(pipes: readonly unknown[] | undefined): z.ZodTypeAny | undefined {
  const pipe = (pipes ?? []).find((p): p is ZodPipe<unknown> => p instanceof ZodPipe);
  return pipe?.schema;
}

function objectFields(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> {
  let inner: z.ZodTypeAny = schema;
  while (inner instanceof z.ZodEffects) inner = inner.innerType();
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodTypeAny>) : {};
}

function paths(value: unknown): string[] {
  if (value === undefined) return [''];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function joinPath(prefix: string, sub: string): string {
  const parts = [prefix, sub].map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '');
  return `/${parts.join('/')}`;
}
