import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { packMsgpack } from './msgpack';
import type { ResponseContentEncoding } from './negotiateContentEncoding';
import type { ResponseMediaType } from './negotiateMediaType';

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** How responses are compressed (from `GatewayConfig`). */
export interface CompressionOptions {
  /** Bodies smaller than this (bytes, after MessagePack encoding) are sent as they are. */
  readonly minBytes: number;
  /** Brotli quality 0-11. */
  readonly brotliQuality: number;
  /** gzip level 1-9. */
  readonly gzipLevel: number;
}

/** An encoded response body and the headers that describe it. */
export interface EncodedBody {
  readonly body: Buffer;
  /** e.g. `application/json; charset=utf-8`, `application/msgpack`. */
  readonly contentType: string;
  /** `br`, `gzip`, or `undefined` when sent uncompressed. */
  readonly contentEncoding: 'br' | 'gzip' | undefined;
  /** Size of the body before compression (JSON or MessagePack), in bytes. */
  readonly uncompressedBytes: number;
}

/**
 * Encodes a GraphQL response for the wire: JSON text as UTF-8 (with the negotiated JSON media type) or
 * MessagePack, then brotli or gzip when the client accepts it and the body has at least `minBytes`.
 * Compression runs on libuv's thread pool (async zlib), not on the event loop.
 *
 * @param jsonText - the response's JSON text (one result, or a batch's array): sent as is for JSON media types.
 * @param value - the same response as a value: packed as is for MessagePack (never parsed back from `jsonText`).
 * @param mediaType - the negotiated media type.
 * @param encoding - the negotiated content coding.
 * @param jsonBytes - `jsonText` already encoded as UTF-8 (the HTTP layer hashed these bytes for the `ETag`), so
 *   the text is not encoded again; must be exactly those bytes. @default encoded here
 */
export async function encodeResponseBody(
  jsonText: string,
  value: unknown,
  mediaType: ResponseMediaType,
  encoding: ResponseContentEncoding,
  options: CompressionOptions,
  jsonBytes?: Buffer,
): Promise<EncodedBody> {
  const msgpack = mediaType === 'application/msgpack';
  const raw = msgpack ? packMsgpack(value) : (jsonBytes ?? Buffer.from(jsonText, 'utf8'));
  const contentType = msgpack ? 'application/msgpack' : `${mediaType}; charset=utf-8`;
  if (encoding === 'identity' || raw.length < options.minBytes) return { body: raw, contentType, contentEncoding: undefined, uncompressedBytes: raw.length };
  if (encoding === 'br') {
    const body = await brotliAsync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: options.brotliQuality,
        [constants.BROTLI_PARAM_MODE]: msgpack ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    return { body, contentType, contentEncoding: 'br', uncompressedBytes: raw.length };
  }
  return { body: await gzipAsync(raw, { level: options.gzipLevel }), contentType, contentEncoding: 'gzip', uncompressedBytes: raw.length };
}
