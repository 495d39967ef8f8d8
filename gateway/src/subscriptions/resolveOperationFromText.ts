import { GraphQLError } from 'graphql';
import type { ResolveOperation } from './types';

/**
 * The default {@link ResolveOperation}: free text is allowed. A payload with text is accepted as is; a
 * hash-only payload (`extensions.persistedQuery` and no text) gets `PERSISTED_QUERY_NOT_SUPPORTED`
 * (Apollo Server's code), since no persisted-query store is connected; an empty payload gets `BAD_REQUEST`.
 */
export const resolveOperationFromText: ResolveOperation = async (payload) => {
  if (payload.query.trim() !== '') return { query: payload.query };
  if (payload.extensions && typeof payload.extensions === 'object' && 'persistedQuery' in payload.extensions) {
    return { errors: [new GraphQLError('Persisted queries are not supported on this endpoint.', { extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } })] };
  }
  return { errors: [new GraphQLError('Expected "query" to be a non-empty GraphQL document.', { extensions: { code: 'BAD_REQUEST' } })] };
};
