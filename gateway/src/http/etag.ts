import { createHash } from 'node:crypto';

/**
 * Computes a strong entity tag (RFC 9110 §8.8.3) from a GraphQL response's JSON text. It is taken before
 * any encoding choice (MessagePack, brotli, gzip), so the same data yields the same tag whatever the client
 * asked for: a client may switch encodings and still revalidate.
 *
 * @param jsonText - the JSON text of the response (one result, or the batch's array).
 * @returns a quoted tag: `"` + 22 base64url characters of the text's SHA-256 (128 bits) + `"`.
 */
export function etagOf(jsonText: string): string {
  return `"${createHash('sha256').update(jsonText).digest('base64url').slice(0, 22)}"`;
}

/**
 * Evaluates `If-None-Match` (RFC 9110 §13.1.2): true when the header is `*` or lists `etag`, compared weakly
 * (a `W/` prefix is ignored), so the request gets 304 Not Modified.
 *
 * @param ifNoneMatch - the header value, possibly a comma-separated list.
 * @param etag - the current strong tag, quoted.
 */
export function ifNoneMatchMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
