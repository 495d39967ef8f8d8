import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { PipelinePlugin } from '../pipeline/types';
import type { CacheHint as SubgraphCacheHint } from '../upstream/types';
import { cacheControlHeader, NO_STORE } from './cacheControlHeader';
import { computeCachePolicy, type CacheHint, type CachePolicy } from './computeCachePolicy';

/**
 * Restricts a policy by the hints of the subgraph replies that sent `Cache-Control` (Apollo Gateway's
 * `overallCachePolicy.restrict`): the smallest max age wins, and any `private` makes the whole response private;
 * a hint never makes an uncacheable policy cacheable.
 *
 * @returns a new policy; the input is not changed.
 */
export function restrictPolicy(policy: CachePolicy, hints: readonly SubgraphCacheHint[]): CachePolicy {
  let { maxAge, scope } = policy;
  for (const hint of hints) {
    if (maxAge !== undefined) maxAge = Math.min(maxAge, hint.maxAge);
    if (hint.scope === 'PRIVATE') scope = 'PRIVATE';
  }
  return { ...policy, maxAge, scope };
}

/**
 * The cache-policy concern on the pipeline: once an operation has executed, sets its `Cache-Control` from
 * cache hints (`@cacheControl` in the supergraph and `CACHE_HINTS`, computed per query with
 * {@link computeCachePolicy}, once per parsed operation), restricted by the `Cache-Control` of the subgraph replies it used
 * ({@link restrictPolicy}): `max-age=N, public|private`, `private, no-cache` (no positive max age: the default
 * for user data), or `no-store` for mutations, subscriptions, responses with errors and non-200 statuses.
 * The HTTP adapter reads the header to decide on an `ETag` (none for `no-store`).
 *
 * @param hints - configured hints by `"Type"` or `"Type.field"` (`CACHE_HINTS`); they win over `@cacheControl`.
 */
export function cacheControlPlugin(hints: Readonly<Record<string, CacheHint>>): PipelinePlugin {
  // the static policy depends only on the schema, the document and the operation: computed once per parsed
  // operation (the supergraph snapshot caches parsed documents per text), not per request
  const policies = new WeakMap<OperationDefinitionNode, { readonly schema: GraphQLSchema; readonly policy: CachePolicy }>();
  const staticPolicy = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): CachePolicy => {
    const cached = policies.get(operation);
    if (cached?.schema === schema) return cached.policy;
    const policy = computeCachePolicy(schema, document, operation, hints);
    policies.set(operation, { schema, policy });
    return policy;
  };
  return {
    name: 'cache-control',
    willSendResult(ctx, result, subgraphHints, executed) {
      if (!executed) return; // a refusal keeps the `Cache-Control` its error set (`no-store` by default)
      const { operation, document } = ctx;
      const cacheable = operation?.operation === 'query' && document && !result.body.errors?.length && result.status === 200;
      const policy = cacheable ? restrictPolicy(staticPolicy(ctx.snapshot.apiSchema, document, operation), subgraphHints) : null;
      result.headers.set('cache-control', policy ? cacheControlHeader(policy) : NO_STORE);
    },
  };
}
