/**
 * One subscription event's `next` payload (`{"data":…,"errors":…,"extensions":…}`), serialised once and shared by
 * every subscriber it goes to: the JSON text, its UTF-8 bytes (encoded once, on first use), and the last message
 * built around it ({@link wrapped}), so subscribers whose envelope is the same (e.g. graphql-ws clients that all
 * number their first subscription `"1"`) write one and the same Buffer.
 *
 * Immutable once built: the Buffers it hands out are shared and must not be written to.
 */
export class EventPayload {
  private encoded: Buffer | undefined;
  private lastPrefix: Buffer | undefined;
  private lastSuffix: Buffer | undefined;
  private lastMessage: Buffer | undefined;

  /** @param json - the payload's JSON text. */
  constructor(readonly json: string) {}

  /** The payload's JSON as UTF-8 bytes (encoded on the first call, shared after). */
  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.json, 'utf8'));
  }

  /**
   * @param prefix - the bytes before the payload (a subscriber's envelope, e.g. `{"id":"1","type":"next","payload":`).
   * @param suffix - the bytes after it (e.g. `}`).
   * @returns `prefix + payload + suffix` as one Buffer. A call with the same prefix and suffix as the previous
   *   call (same Buffers, or equal bytes) returns the previous Buffer, so a fan-out over subscribers with equal
   *   envelopes allocates and copies once; other envelopes cost one copy of the payload each.
   */
  wrapped(prefix: Buffer, suffix: Buffer): Buffer {
    const last = this.lastMessage;
    if (last !== undefined && sameBytes(this.lastPrefix as Buffer, prefix) && sameBytes(this.lastSuffix as Buffer, suffix)) return last;
    const bytes = this.bytes;
    const message = Buffer.allocUnsafe(prefix.length + bytes.length + suffix.length);
    prefix.copy(message, 0);
    bytes.copy(message, prefix.length);
    suffix.copy(message, prefix.length + bytes.length);
    this.lastPrefix = prefix;
    this.lastSuffix = suffix;
    this.lastMessage = message;
    return message;
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a === b || (a.length === b.length && a.equals(b));
}
