import type { RequestInfo } from '../pipeline/types';

/**
 * What the HTTP adapter reports about one finished `/graphql` exchange (to metrics and the access log):
 * sizes on the wire, encoding, status, the first error code, timing.
 */
export interface GraphQLExchange {
  /** The request facts the pipeline saw (the same object for every entry of a batch); undefined when refused before the pipeline (406, 413, 503, CSRF, bad GET parameters). */
  readonly request: RequestInfo | undefined;
  /** `apollographql-client-name` as sent. */
  readonly clientName: string | undefined;
  /** `apollographql-client-version` as sent. */
  readonly clientVersion: string | undefined;
  /** `GET` or `POST` (`HEAD` counts as `GET`). */
  readonly method: 'GET' | 'POST';
  /** HTTP status sent. */
  readonly status: number;
  /** `extensions.code` of the first error of the response (for a batch: of the first entry with one); undefined when none. */
  readonly code: string | undefined;
  /** Request body bytes as received on the wire (before decompression): `Content-Length`, else the bytes read; 0 for GET. */
  readonly requestBytes: number;
  /** Response body bytes on the wire (after compression); 0 for 304. */
  readonly responseBytes: number;
  /** Response body bytes before compression (JSON or MessagePack). */
  readonly uncompressedBytes: number;
  /** `Content-Encoding` of the response: `br`, `gzip` or `identity`. */
  readonly contentEncoding: string;
  /** Response media type without parameters, e.g. `application/json`; empty for 304. */
  readonly mediaType: string;
  /** Number of entries when the body was a batch; 0 otherwise. */
  readonly batchSize: number;
  /** Time from the request's arrival to the response's last byte handed to the socket, in ms. */
  readonly durationMs: number;
}
