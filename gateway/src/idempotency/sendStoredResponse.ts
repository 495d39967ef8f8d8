import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyReply } from 'fastify';
import { unpackMsgpack } from '../http/msgpack';
import type { StoredResponse } from './IdempotencyStore';
import { IDEMPOTENT_REPLAYED_HEADER } from './parseIdempotencyKey';

/**
 * Sends a stored HTTP response again: the same status, headers and body bytes, plus `Idempotent-Replayed: true`.
 * When it was stored compressed and the retry does not accept that coding (`Accept-Encoding` changed between
 * attempts, which clients do not normally do), the body is decompressed first: the decoded bytes stay identical.
 *
 * @param reply - the Fastify reply (nothing sent yet).
 * @param stored - what {@link Idempotency.replayOf} returned.
 * @param acceptEncoding - the retry's `Accept-Encoding` header.
 */
export function sendStoredResponse(reply: FastifyReply, stored: StoredResponse, acceptEncoding: string | undefined): FastifyReply {
  let body = stored.body;
  const headers = { ...stored.headers };
  const coding = headers['content-encoding'];
  if (coding && !accepts(acceptEncoding, coding)) {
    body = coding === 'br' ? brotliDecompressSync(body) : gunzipSync(body);
    delete headers['content-encoding'];
  }
  void reply.code(stored.status);
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
  void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return reply.send(body);
}

/** @returns whether `Accept-Encoding` allows `coding` (listed, or `*`, without `q=0`). */
function accepts(acceptEncoding: string | undefined, coding: string): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const zero = params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
    return (name === coding || name === '*') && !zero;
  });
}

/** Headers that belong to one exchange, not to the response: never stored (CORS is answered per request origin, length by Fastify). */
const PER_EXCHANGE = /^(access-control-|content-length$|date$|connection$|keep-alive$|transfer-encoding$|traceparent$|tracestate$)/;

/**
 * The HTTP response of a single keyed operation as it will be stored (headers of the exchange itself, such as
 * CORS and `content-length`, are left out).
 * @param status - HTTP status.
 * @param headers - every header the adapter set for the result (lower-case names), `content-type` and `content-encoding` included.
 * @param body - the bytes as they will be sent.
 */
export function storedHttpResponse(status: number, headers: Readonly<Record<string, string | undefined>>, body: Buffer): StoredResponse {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !PER_EXCHANGE.test(name)) kept[name] = value;
  return { status, headers: kept, body };
}

/**
 * Whether `stored` is a single operation's encoded HTTP response (stored with its `Content-Type`, maybe compressed
 * or MessagePack), which can be replayed byte for byte to a single HTTP request. A batch entry's or a graphql-ws
 * operation's result is stored as bare JSON text without one: replayed to a single HTTP request it is sent as a
 * result (encoded for that request's `Accept`), not as bytes of an unknown type.
 */
export function isEncodedHttpResponse(stored: StoredResponse): boolean {
  return stored.headers['content-type'] !== undefined;
}

/** Headers that describe the stored bytes rather than the result; dropped when the result is re-encoded. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'vary', 'etag']);

/**
 * A stored response as a GraphQL result, for a replay that cannot reuse its bytes (a batch entry, a graphql-ws
 * operation, or a single HTTP request whose key was first used by one of those): the body is decompressed by its
 * `Content-Encoding` (gzip, br, deflate) and decoded by its `Content-Type` (MessagePack or JSON), and the headers
 * that described those bytes are dropped.
 *
 * @param stored - a stored response of either kind.
 * @returns status, result headers (lower-case names) and the decoded GraphQL response body.
 * @throws Error when the stored bytes do not decode (a corrupt record).
 */
export function storedResult(stored: StoredResponse): { status: number; headers: Map<string, string>; body: unknown } {
  let bytes = stored.body;
  const coding = stored.headers['content-encoding'];
  if (coding === 'gzip') bytes = gunzipSync(bytes);
  else if (coding === 'br') bytes = brotliDecompressSync(bytes);
  else if (coding === 'deflate') bytes = inflateSync(bytes);
  const msgpack = /^application\/(x-)?msgpack/i.test(stored.headers['content-type'] ?? '');
  const body = msgpack ? unpackMsgpack(bytes) : (JSON.parse(bytes.toString('utf8')) as unknown);
  const headers = new Map(Object.entries(stored.headers).filter(([name]) => !BODY_HEADERS.has(name)));
  return { status: stored.status, headers, body };
}
