import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { cacheControlHeader, NO_STORE } from './cacheControlHeader';
import { computeCachePolicy, type CacheHint, type CachePolicy } from './computeCachePolicy';

/**
 * Apollo Server plugin that sets each response's `Cache-Control` from cache hints (it replaces Apollo's
 * own cache-control plugin, which in gateway mode only sees subgraph `Cache-Control` headers). Once the
 * operation is resolved it computes the query's policy with {@link computeCachePolicy}; when the response
 * is sent it sets `max-age=N, public|private`, `private, no-cache` (no positive maxAge: the default for
 * user data), or `no-store` for mutations, subscriptions, responses with errors and non-200 statuses.
 * The HTTP layer reads the header to decide on an `ETag` (none for `no-store`).
 *
 * @param hints - configured hints by `"Type"` or `"Type.field"` (`CACHE_HINTS`); they win over `@cacheControl`.
 */
export function cacheControlPlugin(hints: Readonly<Record<string, CacheHint>>): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      let policy: CachePolicy | null = null;
      return {
        async didResolveOperation({ schema, document, operation }) {
          policy = operation?.operation === 'query' ? computeCachePolicy(schema, document, operation, hints) : null;
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const status = response.http.status ?? 200;
          const cacheable = policy !== null && response.body.kind === 'single' && !errors?.length && status === 200;
          response.http.headers.set('cache-control', cacheable && policy ? cacheControlHeader(policy) : NO_STORE);
        },
      };
    },
  };
}
