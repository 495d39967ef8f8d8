import { roamError } from '@roam/errors';
import { EVENT_ID_EXTENSION, LAST_EVENT_ID_EXTENSION, parseEventId } from '@roam/redis';
import type { GraphQLError } from 'graphql';

/** `extensions` key of every delivered subscription event that carries its event id (re-exported from `@roam/redis`). */
export { EVENT_ID_EXTENSION, LAST_EVENT_ID_EXTENSION };

/**
 * Reads the resume request of a subscribe payload (graphql-transport-ws `subscribe`, or a multipart
 * subscription's request body): `extensions.lastEventId`, the last `extensions.eventId` the client received.
 *
 * @param payload - the request entry (only `extensions` is read).
 * @returns `{}` for a live-only subscription, `{ lastEventId }` to resume, or `{ error }`
 *   (`SUBSCRIPTION_RESUME_INVALID`) when the value is not an event id (`<stream>@<ms>-<seq>`, at most
 *   `MAX_EVENT_ID_LENGTH` (256) characters). Whether the id belongs to the subscription's stream, is retained
 *   and is not from the future is decided by the subgraph that owns the stream.
 */
export function resumeRequest(payload: { readonly extensions?: Readonly<Record<string, unknown>> | null }): { lastEventId?: string; error?: GraphQLError } {
  const extensions = payload.extensions;
  if (extensions === undefined || extensions === null || typeof extensions !== 'object') return {};
  const value = extensions[LAST_EVENT_ID_EXTENSION];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'string' || parseEventId(value) === undefined) {
    return {
      error: roamError(
        'SUBSCRIPTION_RESUME_INVALID',
        `extensions.${LAST_EVENT_ID_EXTENSION} must be an event id received as extensions.${EVENT_ID_EXTENSION} (\`<stream>@<ms>-<seq>\`); subscribe without it after a refetch.`,
      ),
    };
  }
  return { lastEventId: value };
}
