/**
 * The `extensions` key that carries an event's id on every subscription event a client receives
 * (graphql-transport-ws `next` payload, `payload.extensions.eventId`). Other rooms (the push bridge)
 * read it from here, never as a literal.
 */
export const EVENT_ID_EXTENSION = 'eventId';

/**
 * The `extensions` key of a graphql-transport-ws `subscribe` payload that asks to resume after an event:
 * `payload.extensions.lastEventId` = the last {@link EVENT_ID_EXTENSION} the client received for this
 * subscription. The gateway forwards it to the subgraph under the same name.
 */
export const LAST_EVENT_ID_EXTENSION = 'lastEventId';

/** Longest event id accepted from a client, in characters. */
export const MAX_EVENT_ID_LENGTH = 256;

/** A parsed event id: the stream (event log) it belongs to and its position there. */
export interface ParsedEventId {
  /** The stream name, e.g. `reviews:REVIEW_ADDED` (the channel the subgraph publishes on). */
  readonly stream: string;
  /** The position in the stream, a Redis Streams entry id `<ms>-<seq>`. */
  readonly position: string;
}

const POSITION = /^(\d{1,16})-(\d{1,16})$/;

/**
 * @param stream - stream name (must not be empty).
 * @param position - Redis Streams entry id `<ms>-<seq>`.
 * @returns the client-facing event id `<stream>@<ms>-<seq>`, e.g. `reviews:REVIEW_ADDED@1764590000000-0`.
 */
export function formatEventId(stream: string, position: string): string {
  return `${stream}@${position}`;
}

/**
 * @param id - an event id as a client sent it (any value).
 * @returns the stream and position, or undefined when `id` is not a string of the form `<stream>@<ms>-<seq>`
 *   of at most {@link MAX_EVENT_ID_LENGTH} characters.
 */
export function parseEventId(id: unknown): ParsedEventId | undefined {
  if (typeof id !== 'string' || id.length > MAX_EVENT_ID_LENGTH) return undefined;
  const at = id.lastIndexOf('@');
  if (at <= 0) return undefined;
  const position = id.slice(at + 1);
  if (!POSITION.test(position)) return undefined;
  return { stream: id.slice(0, at), position };
}

/**
 * Orders two Redis Streams entry ids (`<ms>-<seq>`) numerically (Redis Streams "entry IDs": ordered by
 * time part, then sequence).
 * @returns negative when a < b, 0 when equal, positive when a > b.
 */
export function compareStreamPositions(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const ms = BigInt(am ?? '0') - BigInt(bm ?? '0');
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as ?? '0') - BigInt(bs ?? '0');
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
