import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, errorBody, type ErrorCode } from '../errors';

/** The Roam code for a Node.js `clientError`, by its `err.code` (Node's HTTP server and llhttp parser errors). */
function codeFor(errCode: string | undefined): ErrorCode {
  if (errCode === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  if (errCode === 'HPE_HEADER_OVERFLOW') return 'REQUEST_HEADER_FIELDS_TOO_LARGE';
  return 'BAD_REQUEST';
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  REQUEST_TIMEOUT: 'The request (headers and body) did not arrive within the time the gateway allows (REQUEST_TIMEOUT_MS).',
  REQUEST_HEADER_FIELDS_TOO_LARGE: 'The request headers are larger than the gateway accepts.',
  BAD_REQUEST: 'The request is not valid HTTP.',
};

/**
 * Fastify's `clientErrorHandler` (Node's `clientError` event): answers errors Node detects before or while
 * reading a request - the request deadline (`ERR_HTTP_REQUEST_TIMEOUT`, `REQUEST_TIMEOUT_MS`) → 408
 * `REQUEST_TIMEOUT`, headers over Node's `maxHeaderSize` (`HPE_HEADER_OVERFLOW`) → 431
 * `REQUEST_HEADER_FIELDS_TOO_LARGE`, any other parse error → 400 `BAD_REQUEST` - with the GraphQL error shape
 * `{"errors":[{"message","extensions":{"code"}}]}` instead of Fastify's `{"error","message","statusCode"}`,
 * then closes the connection. Like Node's own handler, it writes nothing when the connection is gone or a
 * response has already started on it. Never throws.
 *
 * @param err - the error Node emitted (`code` as above; `ECONNRESET` means the peer left).
 * @param socket - the client's connection.
 */
export function handleClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const code = codeFor(err.code);
    const status = ERROR_CODES[code].status;
    const body = JSON.stringify(errorBody(code, MESSAGES[code] ?? STATUS_CODES[status] ?? 'Client error'));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
