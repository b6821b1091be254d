// Same keys as the API: the page asks for one once (on the first 401) and keeps it for the tab.
const KEY = 'feature-store-api-key';

/** An API answer that is not 2xx: its status and the error of docs/errors.md. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The key kept for this tab, if any. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key.trim());
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

/** The headers every call sends: `Authorization: Bearer <key>` when a key is kept. */
export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Calls the API; throws ApiError for a non-2xx answer (the caller shows it, or "not available" for a 404). */
export async function api<T>(path: string, init: { method?: string; body?: unknown; accept?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(), accept: init.accept ?? 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  if (!res.ok) {
    let code = 'HTTP_' + res.status;
    let message = res.statusText;
    try {
      const body = (await res.json()) as { error?: { code: string; message: string } };
      if (body.error) ({ code, message } = body.error);
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, code, message);
  }
  return (await res.json()) as T;
}

/** Like api(), but null when the route answers 404 (a route from another release, an unknown name). */
export async function optional<T>(path: string): Promise<T | null> {
  try {
    return await api<T>(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** Downloads an answer as a file (the key goes in the header, so a plain link would not do). */
export async function download(path: string, accept: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: { ...authHeaders(), accept } });
  if (!res.ok) throw new ApiError(res.status, 'HTTP_' + res.status, `download failed: ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
