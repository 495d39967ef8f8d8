import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyReply } from 'fastify';
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
