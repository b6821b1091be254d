import { FeatureStoreError } from '@app/features';
import { HttpException } from '@nestjs/common';
import { statusOf } from '../common/error.filter';

/** The POSTs that change nothing (lookups and training sets are reads with a body). */
// Training sets (made or re-made) and lookups read: they need read, and change no data.
const READ_ONLY_POSTS = new Set(['/v1/training-sets', '/v1/training-sets/:id/recreate', '/v1/online-features', '/get-online-features']);
const CHANGE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Request values end up in the trail: bounded, so a hostile request cannot bloat it. */
const MAX_TARGETS = 20;
const MAX_TARGET_LENGTH = 200;
const COUNT_FIELDS = ['accepted', 'rejected', 'rows', 'created', 'version', 'received', 'written'] as const;
const BODY_TARGETS = ['push_source_name', 'feature_view_name', 'runId', 'name'] as const;

/** What the auth guard leaves on the request (read defensively: the guard may be off). */
interface AuthenticatedRequest {
  readonly auth?: { readonly keyId?: unknown } | null;
}

/** Whether a request to this route (its pattern) changes something and belongs in the trail. */
export function isChangeRoute(method: string, pattern: string | undefined): pattern is string {
  return pattern !== undefined && CHANGE_METHODS.has(method) && !READ_ONLY_POSTS.has(pattern);
}

/** The key id the auth guard resolved, `anonymous` without one. */
export function keyIdOf(request: object): string {
  const keyId = (request as AuthenticatedRequest).auth?.keyId;
  return typeof keyId === 'string' && keyId !== '' ? keyId : 'anonymous';
}

/** The names a change is about: the path's `name`, and the body's source, view, run or definition name. */
export function targetsOf(params: unknown, body: unknown): string[] {
  const targets: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string' && value !== '' && !targets.includes(value) && targets.length < MAX_TARGETS) targets.push(value.slice(0, MAX_TARGET_LENGTH));
  };
  if (isRecord(params)) add(params.name);
  // A table body arrives as bytes or a stream; only a parsed JSON object has names to read.
  if (isRecord(body)) for (const field of BODY_TARGETS) add(body[field]);
  return targets;
}

/** The numbers of an answer (top level, and one level down for a push's `rows`/`online`), and the path's version. */
export function countsOf(answer: unknown, params?: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  if (isRecord(params) && typeof params.version === 'string' && /^\d{1,9}$/.test(params.version)) counts.version = Number(params.version);
  const read = (value: unknown) => {
    if (!isRecord(value)) return;
    for (const field of COUNT_FIELDS) {
      const v = value[field];
      if (typeof v === 'number' && Number.isFinite(v)) counts[field] = v;
      else if (typeof v === 'boolean') counts[field] = v ? 1 : 0;
    }
    if (Array.isArray(value.trainingSets)) counts.trainingSets = value.trainingSets.length;
  };
  read(answer);
  if (isRecord(answer)) {
    read(answer.rows);
    read(answer.online);
  }
  return counts;
}

/** The status the error filter answers for an error (500 for anything unrecognised). */
export function statusOfError(error: unknown): number {
  if (error instanceof FeatureStoreError) return statusOf(error.code);
  if (error instanceof HttpException) return error.getStatus();
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

/** A failure's short description for the trail (the code and message of a domain error). */
export function detailOf(error: unknown): string {
  const text = error instanceof FeatureStoreError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  return text.slice(0, 500);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
