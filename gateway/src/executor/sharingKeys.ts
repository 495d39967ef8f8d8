/**
 * The keys under which in-flight work is shared (issue 19 item 1c), in one place so that what may be shared
 * is decided here and nowhere else:
 *
 * - whole requests (`COALESCE_REQUESTS`): a query shares the execution of an identical one in flight when
 *   {@link requestSharingKey} is equal: same supergraph load, operation name, document, variables and scope
 *   (the request headers that can change the answer: `authorization`, `cookie`; see the pipeline's scope key);
 * - subgraph fetches (`COALESCE_SUBGRAPH_FETCHES`): a subgraph query fetch shares an identical HTTP call in
 *   flight when {@link fetchSharingKey} is equal: same subgraph URL and same request body. Subgraph requests
 *   carry no client credentials (Roam sends `content-type`, `accept`, the trace context, which does not
 *   change the answer, and on mutations, never shared, the idempotency key), so fetches of different users
 *   can be shared, as Apollo Router's subgraph deduplication and Hive Gateway's do. If client headers are
 *   ever propagated to subgraphs, they must become part of this key.
 *
 * Mutations are never shared (the callers check).
 */

/**
 * @param snapshotVersion - the supergraph load number.
 * @param operationName - the selected operation's name, if any.
 * @param documentHash - SHA-256 of the document text.
 * @param variables - the variables as the client sent them.
 * @param scopeKey - the request's sharing scope (credentials, cookies).
 * @returns the key identical requests share.
 */
export function requestSharingKey(snapshotVersion: number, operationName: string | undefined, documentHash: string, variables: Readonly<Record<string, unknown>>, scopeKey: string): string {
  return `${snapshotVersion}\u0000${operationName ?? ''}\u0000${documentHash}\u0000${JSON.stringify(variables)}\u0000${scopeKey}`;
}

/**
 * @param url - the subgraph URL.
 * @param body - the JSON request body sent to it.
 * @param headers - the fetch's own headers (propagated client headers, `roam-claims`; README "Security"): fetches
 *   with different ones never share. Trace headers are not among them.
 * @returns the key identical subgraph fetches share.
 */
export function fetchSharingKey(url: string, body: string, headers?: Readonly<Record<string, string>>): string {
  return headers ? `${url}\u0000${JSON.stringify(headers)}\u0000${body}` : `${url}\u0000${body}`;
}
