import { isInScope, sha256Hex, StoreUnavailableError, type LookupResult, type PersistedQueryStore } from '@roam/persisted-queries';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { errorOutcome } from '../pipeline/outcome';
import type { EntryOutcome, EntryStep, GraphQLRequestEntry, RequestInfo } from '../pipeline/types';
import { isRegistrable } from './isRegistrable';
import { readPersistedQueryRequest, withQueryText } from './readPersistedQueryRequest';

/** `PERSISTED_QUERIES`: how the gateway treats persisted-query ids and free text. */
export type PersistedQueryMode = 'off' | 'apq' | 'safelist';

/** What {@link createPersistedQueryStep} needs. */
export interface PersistedQueryStepOptions {
  readonly mode: PersistedQueryMode;
  readonly store: PersistedQueryStore;
  /** @returns the current API schema (undefined before the first load); APQ registrations validate against it. */
  readonly schema: () => GraphQLSchema | undefined;
  /** TTL of APQ registrations, in seconds; 0 = no expiry. */
  readonly apqTtlSeconds: number;
  readonly logger: Logger;
}

/** Apollo APQ protocol: a miss must not be cached by any intermediary. */
const NOT_FOUND_HEADERS = { 'cache-control': 'private, no-cache, must-revalidate' };

const notFound = (): EntryOutcome => errorOutcome('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', {}, NOT_FOUND_HEADERS);
const mismatch = (): EntryOutcome => errorOutcome('PERSISTED_QUERY_HASH_MISMATCH', 'provided sha does not match query');
const unavailable = (): EntryOutcome => errorOutcome('PERSISTED_QUERY_STORE_UNAVAILABLE', 'The persisted query store is unavailable; retry shortly.', {}, { 'retry-after': '1' });

/**
 * The persisted-query step of the per-entry pipeline (runs before Apollo Server parses anything).
 *
 * - `off`: an id (`extensions.persistedQuery` or `documentId`) gets 400 `PERSISTED_QUERY_NOT_SUPPORTED`; text runs.
 * - `apq` (Apollo APQ protocol): hash only → the stored text runs, or HTTP 200 `PersistedQueryNotFound`
 *   with `Cache-Control: private, no-cache, must-revalidate`; hash + text → the hash is recomputed over the
 *   exact text (mismatch: 400 `PERSISTED_QUERY_HASH_MISMATCH`, nothing runs or is stored), the text is stored
 *   when it validates, then runs. Free text runs. A store failure is a miss / a logged failed write (fail open).
 * - `safelist` (Apollo Router's persisted-query safelisting): only operations pushed with `roam-pq push` and in
 *   scope for `apollographql-client-name` run: an unknown id gets 404 `PERSISTED_QUERY_NOT_IN_LIST`, other text
 *   403 `QUERY_NOT_IN_SAFELIST`; clients cannot register. A store failure is 503
 *   `PERSISTED_QUERY_STORE_UNAVAILABLE` (fail closed) unless the id is in the local cache.
 *
 * The text handed on is the stored bytes; Apollo Server caches the parsed and validated document per
 * SHA-256 of that text, so a known hash costs no parse and no validation.
 *
 * @returns an {@link EntryStep}; it never throws (store errors become the outcomes above).
 */
export function createPersistedQueryStep(options: PersistedQueryStepOptions): EntryStep {
  const { mode, store, logger } = options;

  const lookup = async (id: string): Promise<LookupResult | 'unavailable'> => {
    try {
      return await store.lookup(id);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      logger.warn({ err: error, id }, 'persisted query lookup failed');
      return 'unavailable';
    }
  };

  const apq = async (entry: GraphQLRequestEntry, id: string, info: RequestInfo): Promise<GraphQLRequestEntry | EntryOutcome> => {
    if (entry.query === undefined) {
      const found = await lookup(id);
      if (found === 'unavailable') return notFound();
      const body = found.operation && isInScope(found.operation.clients, info.clientName) ? found.operation.body : found.automaticBody;
      return body === undefined ? notFound() : withQueryText(entry, body);
    }
    if (sha256Hex(entry.query) !== id) return mismatch();
    if (isRegistrable(entry.query, entry.operationName, info.method, options.schema())) {
      try {
        await store.putAutomatic(id, entry.query, options.apqTtlSeconds);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        logger.warn({ err: error, id }, 'persisted query registration not stored');
      }
    }
    return withQueryText(entry, entry.query);
  };

  const safelist = async (entry: GraphQLRequestEntry, id: string | undefined, info: RequestInfo): Promise<GraphQLRequestEntry | EntryOutcome> => {
    const text = entry.query;
    if (id === undefined && text === undefined) return entry; // Apollo Server answers 400 BAD_REQUEST: no query
    const found = await lookup(id ?? sha256Hex(text!));
    if (found === 'unavailable') return unavailable();
    const operation = found.operation && isInScope(found.operation.clients, info.clientName) ? found.operation : undefined;
    if (id === undefined) {
      return operation && operation.body === text ? withQueryText(entry, text) : errorOutcome('QUERY_NOT_IN_SAFELIST', 'The operation body was not found in the persisted query safelist.');
    }
    if (!operation) return errorOutcome('PERSISTED_QUERY_NOT_IN_LIST', `Persisted query '${id}' not found in the persisted query list.`, entry.operationName ? { operationName: entry.operationName } : {});
    if (text !== undefined && text !== operation.body) return mismatch();
    return withQueryText(entry, operation.body);
  };

  return async (entry, info) => {
    const request = readPersistedQueryRequest(entry);
    switch (request.kind) {
      case 'invalid':
        return errorOutcome('BAD_REQUEST', request.message);
      case 'text':
        return mode === 'safelist' ? safelist(entry, undefined, info) : entry;
      case 'id':
        if (mode === 'off') return errorOutcome('PERSISTED_QUERY_NOT_SUPPORTED', 'PersistedQueryNotSupported');
        return mode === 'apq' ? apq(entry, request.id, info) : safelist(entry, request.id, info);
      default: {
        const never: never = request;
        throw new Error(`Unknown persisted query request ${JSON.stringify(never)}`);
      }
    }
  };
}
