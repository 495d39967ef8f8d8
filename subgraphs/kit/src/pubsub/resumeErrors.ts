import { roamError } from '@roam/errors';
import { parseEventId } from '@roam/redis';
import type { GraphQLError } from 'graphql';

/**
 * Checks the shape of a resume id for `channel`.
 * @returns the stream position `<ms>-<seq>`.
 * @throws GraphQLError `SUBSCRIPTION_RESUME_INVALID` when `after` is malformed or belongs to another channel.
 */
export function resumePosition(channel: string, after: string): string {
  const parsed = parseEventId(after);
  if (!parsed) throw resumeInvalid('it is not an event id (`<stream>@<ms>-<seq>`)');
  if (parsed.stream !== channel) throw resumeInvalid(`it belongs to another event stream ('${parsed.stream}')`);
  return parsed.position;
}

/** @returns the `SUBSCRIPTION_RESUME_INVALID` error with `why` in its message. */
export function resumeInvalid(why: string): GraphQLError {
  return roamError('SUBSCRIPTION_RESUME_INVALID', `Cannot resume after this lastEventId: ${why}. Refetch, then subscribe without lastEventId.`);
}

/** @returns the `SUBSCRIPTION_RESUME_GAP` error: events after the id are past the retention window. */
export function resumeGap(): GraphQLError {
  return roamError('SUBSCRIPTION_RESUME_GAP', 'Events after this lastEventId are past the retention window and were dropped. Refetch, then subscribe without lastEventId.');
}
