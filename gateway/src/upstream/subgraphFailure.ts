import { roamError, type RoamError } from '@roam/errors';

/**
 * The one mapping of a failed subgraph fetch to a client error (Apollo Router's `SUBREQUEST_HTTP_ERROR`):
 * the message names the subgraph, `extensions.serviceName` names it too (as Apollo's gateways do), and
 * `extensions.reason` says why.
 *
 * @param serviceName - the subgraph.
 * @param reason - why it failed, from {@link describeFetchError} or the HTTP status (`HTTP 502`).
 * @returns the error; its `path` is filled in by the executor (where the fetch's data would have gone).
 */
export function subgraphHttpError(serviceName: string, reason: string): RoamError {
  return roamError('SUBREQUEST_HTTP_ERROR', `HTTP fetch failed from '${serviceName}': ${reason}`, { serviceName, reason });
}

/**
 * A subgraph answered 2xx with something that is not a usable GraphQL response (not JSON, no `data`
 * object, `_entities` of the wrong length): Apollo Router's `SUBREQUEST_MALFORMED_RESPONSE`.
 *
 * @param serviceName - the subgraph.
 * @param reason - what was wrong with the reply.
 */
export function subgraphMalformedError(serviceName: string, reason: string): RoamError {
  return roamError('SUBREQUEST_MALFORMED_RESPONSE', `Malformed response from '${serviceName}': ${reason}`, { serviceName, reason });
}

/**
 * Says why a fetch failed at the transport level in a few words: a deadline (undici's timeout codes), a socket
 * error code (`ECONNREFUSED`, `ECONNRESET`, …), or the error's first line.
 *
 * @param error - what undici (or the JSON parser) threw.
 */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code;
  if (error.name === 'TimeoutError' || error.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'the subgraph did not answer in time';
  if (code && /^E[A-Z]+$/.test(code)) return `${code}${error.message ? ` (${error.message})` : ''}`;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error.message.split('\n')[0] ?? 'unknown error';
}
