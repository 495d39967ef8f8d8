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

/** The client-facing reason of a fetch refused because the subgraph's circuit breaker is open. */
export const CIRCUIT_OPEN_REASON = 'circuit open';

/** The client-facing reason of a fetch whose reply passed `SUBGRAPH_MAX_RESPONSE_BYTES` (its reading stopped there). */
export const RESPONSE_TOO_LARGE_REASON = 'response too large';

/**
 * Says why a fetch failed at the transport level in a few generic words, safe to send to clients: never the
 * subgraph's URL, host, port or socket text (those are in {@link fetchErrorDetail}, for the log).
 *
 * @param error - what undici (or the JSON parser) threw.
 * @returns `timed out`, `connection refused`, `connection reset`, `host not found`, `the body is not JSON` or `connection failed`.
 */
export function describeFetchError(error: unknown): string {
  const code = errorCode(error);
  if (isTimeout(error)) return 'timed out';
  if (errorName(error) === 'SyntaxError') return 'the body is not JSON';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    default:
      return 'connection failed';
  }
}

/** @returns whether `error` is a deadline (undici's timeout codes, an aborted or timed-out signal). */
export function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  const name = errorName(error);
  return name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_ABORTED';
}

/**
 * The detailed cause of a failed fetch, for the log only (it may name hosts, ports and sockets): a socket error
 * code with its message (`ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:4003)`), or the error's first line.
 *
 * @param error - what undici (or the JSON parser) threw.
 */
export function fetchErrorDetail(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code;
  if (code && /^E[A-Z]+$/.test(code)) return `${code}${error.message ? ` (${error.message})` : ''}`;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return `${code ? `${code} ` : ''}${error.message.split('\n')[0] ?? 'unknown error'}`;
}

// Duck-typed, not `instanceof Error`: Node's socket errors and DOMExceptions come from another realm under
// Jest's VM sandbox (and DOMException is not an Error subclass everywhere).
function isErrorLike(error: unknown): error is { name?: unknown; message: string; code?: unknown; cause?: unknown } {
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

function errorName(error: unknown): string | undefined {
  return isErrorLike(error) && typeof error.name === 'string' ? error.name : undefined;
}

function errorCode(error: unknown): string | undefined {
  if (!isErrorLike(error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof code === 'string' ? code : undefined;
}
