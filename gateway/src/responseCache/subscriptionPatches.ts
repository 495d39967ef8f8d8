import { EventPayload } from '../subscriptions/EventPayload';
import { jsonDiff } from './jsonDiff';

/** The `extensions` value of a graphql-ws `subscribe` payload that opts in to patch events: `{"patches": "json-patch"}`. */
export const SUBSCRIPTION_PATCHES_EXTENSION = 'patches';

/**
 * Subscription events as patches (issue 14, delta updates item 4), opt-in per subscription with
 * `"extensions": {"patches": "json-patch"}` in the `subscribe` payload. The first event is sent whole; each
 * later one is sent as `{"extensions":{"patch":[…], …}}` (no `data`), an RFC 6902 JSON Patch
 * ({@link jsonDiff}) that turns the previous event's result (`data`, `errors`; not its `extensions`) into this
 * one, when that is shorter than the event itself (otherwise the event is sent whole, and becomes the new base).
 * The event's own `extensions` (its `eventId`, for resume) are kept beside `patch`. A client applies each patch
 * to the last result it rebuilt.
 *
 * @param payload - the `subscribe` payload (its `extensions` are read).
 * @param write - writes one serialised `next` payload to the client (the subscription server's fast path; the event's
 *   shared {@link EventPayload} when sent whole, a payload of its own when sent as a patch).
 * @returns `write` unchanged without the opt-in; else a writer that keeps the previous event and writes patches.
 */
export function patchingWriter(payload: { readonly extensions?: unknown }, write: (payload: EventPayload) => boolean): (payload: EventPayload) => boolean {
  const extensions = payload.extensions;
  if (extensions === null || typeof extensions !== 'object' || (extensions as Record<string, unknown>)[SUBSCRIPTION_PATCHES_EXTENSION] !== 'json-patch') return write;
  let previous: unknown;
  return (event) => {
    const { extensions: eventExtensions, ...current } = JSON.parse(event.json) as { extensions?: Record<string, unknown> };
    const base = previous;
    previous = current;
    if (base === undefined) return write(event);
    // The diff covers the result (`data`, `errors`); the event's own extensions (its `eventId` for resume) travel as they are.
    const patchJson = JSON.stringify({ extensions: { ...eventExtensions, patch: jsonDiff(base, current) } });
    return write(patchJson.length < event.json.length ? new EventPayload(patchJson) : event);
  };
}
