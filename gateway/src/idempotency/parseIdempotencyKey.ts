/** Longest idempotency key accepted, in characters (Stripe's bound is 255; the 256). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** The request header that carries the key of a single operation (IETF `draft-ietf-httpapi-idempotency-key-header-06` §2). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** The response header set on a replayed response (Stripe's and Spree's name): `true`, or for a batch the replayed entry indexes. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Reads an idempotency key: the value of the `Idempotency-Key` header, or `extensions.idempotencyKey` of a batch
 * entry or WebSocket operation.
 *
 * The draft defines the header as a Structured Field string (RFC 9651 §3.3.3: `"…"`, printable ASCII, `\"` and
 * `\\` escapes). Clients that send the bare value (Stripe-style, e.g. a UUID) are accepted too: a bare value is
 * taken as it is when it is visible ASCII without spaces or quotes. Either way the key is 1 to
 * {@link MAX_IDEMPOTENCY_KEY_LENGTH} characters after unquoting.
 *
 * @param value - the header value or the extension value, as received (any JSON value for the extension).
 * @returns the key, or a message saying what is wrong (for a 400 `IDEMPOTENCY_KEY_INVALID`).
 */
export function parseIdempotencyKey(value: unknown): { readonly key: string } | { readonly error: string } {
  if (typeof value !== 'string') return { error: `Expected the idempotency key to be a string; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.` };
  const text = value.trim();
  let key: string;
  if (text.startsWith('"')) {
    const unquoted = unquoteSfString(text);
    if (unquoted === undefined) return { error: 'The idempotency key is not a valid Structured Field string (RFC 9651 §3.3.3): printable ASCII in double quotes, with \\" and \\\\ escapes only.' };
    key = unquoted;
  } else {
    if (!/^[\x21\x23-\x7e]*$/.test(text)) return { error: 'The idempotency key must be printable ASCII without spaces or double quotes (or a quoted Structured Field string).' };
    key = text;
  }
  if (key.length === 0) return { error: 'The idempotency key is empty.' };
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) return { error: `The idempotency key has ${key.length} characters, over the limit of ${MAX_IDEMPOTENCY_KEY_LENGTH}.` };
  return { key };
}

/** @returns the content of an sf-string (RFC 9651 §4.2.5), or undefined when `text` is not exactly one. */
function unquoteSfString(text: string): string | undefined {
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const next = text[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c === 0x22) {
      return i === text.length - 1 ? out : undefined;
    } else if (c < 0x20 || c > 0x7e) {
      return undefined;
    } else {
      out += text[i];
    }
  }
  return undefined;
}
