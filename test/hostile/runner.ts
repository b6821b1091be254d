import { ErrorCode } from '@app/features';
import { statusOf } from '../../apps/api/src/common/error.filter';
import type { HostileCase } from './cases';

/** Longest a case may take to answer, body included (a slower answer is a hang). */
export const ANSWER_WITHIN_MS = 5_000;

const CODES = new Set<string>(Object.values(ErrorCode));

export interface CaseResult {
  readonly case: HostileCase;
  readonly status: number;
  readonly ms: number;
  /** Why the answer is wrong; undefined when it is right. */
  readonly failure?: string;
}

/**
 * Sends every case, `concurrency` at a time (fetch keeps its connections alive, so that is
 * about as many connections), and checks each
 * answer: a 4xx (the case's own statuses when it names them; the battery's server has no
 * limits, so a 429 is a failure too), within ANSWER_WITHIN_MS, in the error shape of docs/errors.md or Feast's.
 */
export async function runCases(base: string, cases: readonly HostileCase[], concurrency: number): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(base, cases[i]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

async function runCase(base: string, c: HostileCase): Promise<CaseResult> {
  const started = Date.now();
  try {
    const res = await fetch(`${base}${c.url}`, {
      method: c.method,
      headers: c.headers,
      body: c.body,
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    const text = await res.text();
    const ms = Date.now() - started;
    const failure = ms > ANSWER_WITHIN_MS ? `answered after ${ms} ms` : checkAnswer(c, res.status, res.headers, text);
    return { case: c, status: res.status, ms, failure };
  } catch (error) {
    const ms = Date.now() - started;
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${ANSWER_WITHIN_MS} ms` : `request failed: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`;
    return { case: c, status: 0, ms, failure: reason };
  }
}

/** Why an answer breaks the contract, or undefined. */
export function checkAnswer(c: HostileCase, status: number, headers: Headers, text: string): string | undefined {
  if (status < 400 || status >= 500) return `status ${status}: ${text.slice(0, 300)}`;
  if (c.statuses !== undefined && !c.statuses.includes(status)) return `status ${status}, expected ${c.statuses.join(' or ')}: ${text.slice(0, 300)}`;
  if (status === 401 && headers.get('www-authenticate') !== 'Bearer') return `401 without WWW-Authenticate: Bearer`;
  if (c.method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
  return c.feast ? feastShape(status, body) : errorShape(status, body);
}

// {"error": {"code", "message", "details"}}: a known code of this status, details an object or null.
function errorShape(status: number, body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  const shown = JSON.stringify(body).slice(0, 300);
  if (typeof error !== 'object' || error === null || Object.keys(body as object).length !== 1) return `not the error shape: ${shown}`;
  if (Object.keys(error).sort().join() !== 'code,details,message') return `error keys ${Object.keys(error).join()}: ${shown}`;
  if (typeof error.code !== 'string' || !CODES.has(error.code)) return `unknown code ${String(error.code)}`;
  if (statusOf(error.code as ErrorCode) !== status) return `code ${error.code} with status ${status}`;
  if (typeof error.message !== 'string' || error.message === '') return 'no message';
  if (error.details !== null && (typeof error.details !== 'object' || Array.isArray(error.details))) return `details ${JSON.stringify(error.details)}`;
  if (status === 401 && error.code !== ErrorCode.Unauthenticated) return `401 with code ${error.code}`;
  if (status === 403 && error.code !== ErrorCode.Forbidden) return `403 with code ${error.code}`;
  return undefined;
}

// Feast's shape: a JSON string holding {"module": "feast.errors", "class", "message"}.
function feastShape(status: number, body: unknown): string | undefined {
  if (typeof body !== 'string') return `not Feast's shape: ${JSON.stringify(body).slice(0, 300)}`;
  let inner: Record<string, unknown>;
  try {
    inner = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return `Feast's string is not JSON: ${body.slice(0, 300)}`;
  }
  if (Object.keys(inner).sort().join() !== 'class,message,module' || inner.module !== 'feast.errors') return `not Feast's shape: ${body.slice(0, 300)}`;
  if (typeof inner.class !== 'string' || !/^[A-Za-z]+$/.test(inner.class)) return `Feast class ${String(inner.class)}`;
  if (typeof inner.message !== 'string' || inner.message === '') return 'no message';
  if ((status === 401 || status === 403) && inner.class !== 'FeastError') return `${status} with class ${inner.class}`;
  return undefined;
}
