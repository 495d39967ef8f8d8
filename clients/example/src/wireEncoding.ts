import { Packr, Unpackr } from 'msgpackr';

/** How bodies travel: `json` (the default) or `msgpack` (standard MessagePack, README "Mobile clients"). */
export type WireEncoding = 'json' | 'msgpack';

// Standard MessagePack only, as the gateway speaks it (gateway/src/http/msgpack.ts): no msgpackr records or
// extensions, maps as plain objects, 64-bit integers as numbers.
const packr = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number', moreTypes: false });

/** The `Content-Type` of a request body in `encoding`. */
export function requestContentType(encoding: WireEncoding): string {
  return encoding === 'msgpack' ? 'application/msgpack' : 'application/json';
}

/**
 * The `Accept` header asking for `encoding`. MessagePack first, JSON as the fallback, so an older
 * gateway that only speaks JSON still answers (the response is decoded by its `Content-Type`).
 */
export function acceptHeader(encoding: WireEncoding): string {
  return encoding === 'msgpack' ? 'application/msgpack, application/json;q=0.5' : 'application/json';
}

/**
 * Encodes a GraphQL request body (an object of JSON values). Keys whose value is `undefined` are left
 * out in both encodings, as `JSON.stringify` does (MessagePack would otherwise carry an `undefined`
 * extension the gateway refuses).
 *
 * @returns a string (JSON) or bytes (MessagePack) for `fetch`'s `body`.
 */
export function encodeRequestBody(body: unknown, encoding: WireEncoding): string | Uint8Array {
  const json = JSON.stringify(body);
  return encoding === 'msgpack' ? packr.pack(JSON.parse(json) as unknown) : json;
}

/**
 * Decodes a response body by its `Content-Type`: `application/msgpack` (or `application/x-msgpack`) with
 * msgpackr, anything else as JSON. `fetch` has already undone any `Content-Encoding` (br, gzip).
 *
 * @param contentType - the response's `Content-Type` header, or null.
 * @param bytes - the body.
 * @throws Error when the body is not valid in its encoding.
 */
export function decodeResponseBody(contentType: string | null, bytes: Uint8Array): unknown {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/msgpack' || mediaType === 'application/x-msgpack') return unpackr.unpack(bytes);
  return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
}
