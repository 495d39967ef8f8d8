import type { GraphQLRequestEntry } from '../pipeline/types';

/** What an entry asks for, persisted-query-wise. */
export type PersistedQueryRequest =
  /** No id: free text (or nothing). */
  | { readonly kind: 'text' }
  /** An id sent as `extensions.persistedQuery.sha256Hash` (APQ) or top-level `documentId`. */
  | { readonly kind: 'id'; readonly id: string; readonly via: 'extensions.persistedQuery' | 'documentId' }
  /** A malformed persisted-query field; `message` says what was expected and what came. */
  | { readonly kind: 'invalid'; readonly message: string };

const SHA256_PREFIX = 'sha256:';

/**
 * Reads the persisted-query fields of one request entry:
 * - `extensions.persistedQuery = {version: 1, sha256Hash: "<hex>"}` (Apollo APQ protocol; any other
 *   `version` is refused, as Apollo Server does);
 * - `documentId: "<id>"` or `"sha256:<hex>"` (GraphQL over HTTP persisted documents), prefix removed.
 * When both are sent they must name the same id.
 *
 * @param entry - a shape-checked entry.
 * @returns the request kind; never throws.
 */
export function readPersistedQueryRequest(entry: GraphQLRequestEntry): PersistedQueryRequest {
  const pq = entry.extensions?.persistedQuery;
  let fromExtensions: string | undefined;
  if (pq !== undefined && pq !== null) {
    if (typeof pq !== 'object' || Array.isArray(pq)) return { kind: 'invalid', message: `Expected extensions.persistedQuery to be an object; got ${Array.isArray(pq) ? 'an array' : typeof pq}.` };
    const { version, sha256Hash } = pq as Record<string, unknown>;
    if (version !== 1) return { kind: 'invalid', message: `Unsupported persisted query version: expected 1; got ${JSON.stringify(version)}.` };
    if (typeof sha256Hash !== 'string' || sha256Hash === '')
      return { kind: 'invalid', message: `Expected extensions.persistedQuery.sha256Hash to be a non-empty string; got ${JSON.stringify(sha256Hash)}.` };
    fromExtensions = sha256Hash;
  }
  let fromDocumentId: string | undefined;
  if (entry.documentId !== undefined) {
    fromDocumentId = entry.documentId.startsWith(SHA256_PREFIX) ? entry.documentId.slice(SHA256_PREFIX.length) : entry.documentId;
    if (fromDocumentId === '') return { kind: 'invalid', message: 'Expected "documentId" to name a document; got an empty id.' };
  }
  if (fromExtensions !== undefined && fromDocumentId !== undefined && fromExtensions !== fromDocumentId) {
    return { kind: 'invalid', message: `"documentId" (${fromDocumentId}) and extensions.persistedQuery.sha256Hash (${fromExtensions}) name different documents.` };
  }
  if (fromExtensions !== undefined) return { kind: 'id', id: fromExtensions, via: 'extensions.persistedQuery' };
  if (fromDocumentId !== undefined) return { kind: 'id', id: fromDocumentId, via: 'documentId' };
  return { kind: 'text' };
}

/** @returns the entry without its persisted-query fields, with `query` set (what Apollo Server executes). */
export function withQueryText(entry: GraphQLRequestEntry, query: string): GraphQLRequestEntry {
  const { documentId: _documentId, extensions, ...rest } = entry;
  const out: { -readonly [K in keyof GraphQLRequestEntry]: GraphQLRequestEntry[K] } = { ...rest, query };
  if (extensions) {
    const { persistedQuery: _pq, ...others } = extensions;
    if (Object.keys(others).length > 0) out.extensions = others;
  }
  return out;
}
