import { roamError, type RoamError } from '@roam/errors';
import { isInScope, sha256Hex, StoreUnavailableError, type LookupResult, type PersistedQueryStore, type StoredOperation } from '@roam/persisted-queries';
import type { Logger } from 'pino';
import type { OperationContext, PipelinePlugin } from '../pipeline/types';
import { readPersistedQueryRequest, withQueryText } from './readPersistedQueryRequest';

/** `PERSISTED_QUERIES`: how the gateway treats persisted-query ids and free text. */
export type PersistedQueryMode = 'off' | 'apq' | 'safelist';

/** What {@link persistedQueriesPlugin} needs. */
export interface PersistedQueriesPluginOptions {
  readonly mode: PersistedQueryMode;
  readonly store: PersistedQueryStore;
  /** TTL of APQ registrations, in seconds; 0 = no expiry. */
  readonly apqTtlSeconds: number;
  readonly logger: Logger;
  /** Told each outcome of a persisted id or registration (metrics, access log); must not throw. @default none */
  readonly onOutcome?: (ctx: OperationContext, outcome: PersistedQueryOutcome, id: string) => void;
}

/**
 * What happened to a persisted-query request: `hit` (the id resolved to text), `miss` (APQ: unknown id),
 * `registered` (APQ: the text was stored after every check), `refused` (safelist refusal, hash mismatch,
 * persisted queries off).
 */
export type PersistedQueryOutcome = 'hit' | 'miss' | 'registered' | 'refused';

/** Apollo APQ protocol: a miss must not be cached by any intermediary. */
const NOT_FOUND_HEADERS = { 'cache-control': 'private, no-cache, must-revalidate' };

const notFound = (): RoamError => roamError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', {}, { headers: NOT_FOUND_HEADERS });
const mismatch = (): RoamError => roamError('PERSISTED_QUERY_HASH_MISMATCH', 'provided sha does not match query');
const unavailable = (): RoamError => roamError('PERSISTED_QUERY_STORE_UNAVAILABLE', 'The persisted query store is unavailable; retry shortly.', {}, { headers: { 'retry-after': '1' } });

/**
 * The persisted-query concern on the pipeline. Its `resolveDocument` hook turns ids into text; its
 * `didPassChecks` hook registers APQ text, so a request refused by any check (validation, limits, transport
 * rules) writes nothing (issue 10 item 2).
 *
 * - `off`: an id (`extensions.persistedQuery` or `documentId`) gets 400 `PERSISTED_QUERY_NOT_SUPPORTED`; text runs.
 * - `apq` (Apollo APQ protocol): hash only → the stored text runs, or HTTP 200 `PersistedQueryNotFound` with
 *   `Cache-Control: private, no-cache, must-revalidate`; hash + text → the hash is recomputed over the exact
 *   text (mismatch: 400 `PERSISTED_QUERY_HASH_MISMATCH`, nothing runs or is stored), and the text is stored once
 *   the operation passed every check. Free text runs. A store failure is a miss / a logged failed write (fail open).
 * - `safelist` (Apollo Router's safelisting): only operations pushed with `roam-pq push` and in scope for the
 *   client run: an unknown id gets 404 `PERSISTED_QUERY_NOT_IN_LIST`, other text 403 `QUERY_NOT_IN_SAFELIST`;
 *   clients cannot register. A store failure is 503 `PERSISTED_QUERY_STORE_UNAVAILABLE` (fail closed) unless
 *   the id is in the local cache.
 *
 * @returns the plugin; store errors become the outcomes above, other errors propagate (500).
 */
export function persistedQueriesPlugin(options: PersistedQueriesPluginOptions): PipelinePlugin {
  const { mode, store, logger } = options;
  const tell = (ctx: OperationContext, outcome: PersistedQueryOutcome, id: string): void => options.onOutcome?.(ctx, outcome, id);
  /** APQ registrations waiting for the operation to pass every check: id per operation. */
  const pending = new WeakMap<OperationContext, string>();
  /**
   * SHA-256 of each safelisted operation's text (the pipeline's document key), per stored operation: the local
   * cache of the store hands out the same object for a hot id, so its text is hashed once, not per request.
   */
  const textHashes = new WeakMap<StoredOperation, string>();
  const textHashOf = (operation: StoredOperation): string => {
    let hash = textHashes.get(operation);
    if (hash === undefined) textHashes.set(operation, (hash = sha256Hex(operation.body)));
    return hash;
  };

  const lookup = async (id: string): Promise<LookupResult | 'unavailable'> => {
    try {
      return await store.lookup(id);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      logger.warn({ err: error.message, id }, 'persisted query lookup failed');
      return 'unavailable';
    }
  };

  const apq = async (ctx: OperationContext, id: string): Promise<RoamError | undefined> => {
    const { entry, request } = ctx;
    if (entry.query === undefined) {
      const found = await lookup(id);
      const body = found === 'unavailable' ? undefined : found.operation && isInScope(found.operation.clients, request.clientName) ? found.operation.body : found.automaticBody;
      if (body === undefined) {
        tell(ctx, 'miss', id);
        return notFound();
      }
      tell(ctx, 'hit', id);
      ctx.entry = withQueryText(entry, body);
      return undefined;
    }
    if (sha256Hex(entry.query) !== id) {
      tell(ctx, 'refused', id);
      return mismatch();
    }
    pending.set(ctx, id);
    ctx.entry = withQueryText(entry, entry.query);
    ctx.documentHash = id;
    return undefined;
  };

  const safelist = async (ctx: OperationContext, id: string | undefined): Promise<RoamError | undefined> => {
    const { entry, request } = ctx;
    const text = entry.query;
    if (id === undefined && text === undefined) return undefined; // the pipeline answers 400 BAD_REQUEST: no query
    const key = id ?? sha256Hex(text!);
    const found = await lookup(key);
    if (found === 'unavailable') return unavailable();
    const operation = found.operation && isInScope(found.operation.clients, request.clientName) ? found.operation : undefined;
    if (id === undefined) {
      if (!operation || operation.body !== text) {
        tell(ctx, 'refused', key);
        return roamError('QUERY_NOT_IN_SAFELIST', 'The operation body was not found in the persisted query safelist.');
      }
      tell(ctx, 'hit', key);
      ctx.entry = withQueryText(entry, text);
      ctx.documentHash = textHashOf(operation);
      return undefined;
    }
    if (!operation || (text !== undefined && text !== operation.body)) {
      tell(ctx, 'refused', id);
      if (!operation)
        return roamError('PERSISTED_QUERY_NOT_IN_LIST', `Persisted query '${id}' not found in the persisted query list.`, entry.operationName ? { operationName: entry.operationName } : {});
      return mismatch();
    }
    tell(ctx, 'hit', id);
    ctx.entry = withQueryText(entry, operation.body);
    ctx.documentHash = textHashOf(operation);
    return undefined;
  };

  return {
    name: 'persisted-queries',
    async resolveDocument(ctx) {
      const request = readPersistedQueryRequest(ctx.entry);
      switch (request.kind) {
        case 'invalid':
          return roamError('BAD_REQUEST', request.message);
        case 'text':
          return mode === 'safelist' ? safelist(ctx, undefined) : undefined;
        case 'id':
          if (mode === 'off') {
            tell(ctx, 'refused', request.id);
            return roamError('PERSISTED_QUERY_NOT_SUPPORTED', 'PersistedQueryNotSupported');
          }
          return mode === 'apq' ? apq(ctx, request.id) : safelist(ctx, request.id);
        default: {
          const never: never = request;
          throw new Error(`Unknown persisted query request ${JSON.stringify(never)}`);
        }
      }
    },
    async didPassChecks(ctx) {
      const id = pending.get(ctx);
      if (id === undefined || ctx.entry.query === undefined) return;
      try {
        await store.putAutomatic(id, ctx.entry.query, options.apqTtlSeconds);
        tell(ctx, 'registered', id);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        logger.warn({ err: error.message, id }, 'persisted query registration not stored');
      }
    },
  };
}
