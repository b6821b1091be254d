import type { ApiKeyEntry, AuthScope } from '@app/features';

/**
 * Who made a request, set by the AuthGuard on `request.auth` before any handler runs: a key's id
 * and scopes, or `anonymous` when no keys file is configured (auth off: every scope).
 */
export type RequestAuth = { readonly keyId: string; readonly scopes: readonly AuthScope[] } | { readonly keyId: 'anonymous'; readonly scopes: readonly AuthScope[] };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the AuthGuard on every routed request. */
    auth?: RequestAuth;
    /** The key's entry, set by the auth hook when the request carries a valid key. */
    apiKey?: ApiKeyEntry;
  }
}
