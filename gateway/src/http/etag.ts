import { createHash } from 'node:crypto';

/**
 * Computes the entity tag of a GraphQL response's data (RFC 9110 §8.8.3) from its JSON text: the tag of its
 * JSON representation sent without a content coding. Other representations of the same data get their own
 * strong tags from it with {@link representationTag}.
 *
 * @param jsonText - the JSON text of the response (one result, or the batch's array), or its UTF-8 bytes (the
 *   same tag: the HTTP layer hashes the bytes it is about to send rather than encoding the text twice).
 * @returns a quoted tag: `"` + 22 base64url characters of the text's SHA-256 (128 bits) + `"`.
 */
export function etagOf(jsonText: string | Uint8Array): string {
  return `"${createHash('sha256').update(jsonText).digest('base64url').slice(0, 22)}"`;
}

/**
 * The strong entity tag of one representation of a response (RFC 9110 §8.8.1: a strong validator is
 * unique across all representations of a resource; §8.8.3.3 shows tags varying by content coding): the
 * data's tag ({@link etagOf}) with `.mp` for MessagePack and `.br`/`.gz` for the negotiated content coding
 * appended inside the quotes, e.g. `"<data tag>.mp.br"`. The suffix follows the negotiation, not whether the body was
 * big enough to compress: the same data, media type and coding always give the same bytes and the same tag.
 *
 * @param dataTag - the quoted tag from {@link etagOf}.
 * @param msgpack - whether the representation is MessagePack.
 * @param coding - the negotiated content coding.
 */
export function representationTag(dataTag: string, msgpack: boolean, coding: 'br' | 'gzip' | 'identity'): string {
  const suffix = `${msgpack ? '.mp' : ''}${coding === 'br' ? '.br' : coding === 'gzip' ? '.gz' : ''}`;
  return suffix === '' ? dataTag : `${dataTag.slice(0, -1)}${suffix}"`;
}

/** @returns the data part of a (possibly weak) tag: `W/"abc.mp.br"` → `"abc"` (base64url has no `.`). */
export function dataTagOf(tag: string): string {
  const opaque = tag.trim().replace(/^W\//, '');
  const dot = opaque.indexOf('.');
  return dot < 0 ? opaque : `${opaque.slice(0, dot)}"`;
}

/**
 * Evaluates `If-None-Match` (RFC 9110 §13.1.2): true when the header is `*` or lists a tag of the same data as
 * `etag`, whichever representation it names (a `W/` prefix and the `.mp`/`.br`/`.gz` suffixes are ignored):
 * a client that switches encodings still revalidates, and gets the tag of the representation it asked for now.
 *
 * @param ifNoneMatch - the header value, possibly a comma-separated list.
 * @param etag - the current tag (data tag or representation tag), quoted.
 */
export function ifNoneMatchMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const data = dataTagOf(etag);
  return ifNoneMatch.split(',').some((tag) => dataTagOf(tag) === data);
}
