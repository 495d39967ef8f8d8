import { isOutcome } from './outcome';
import type { EntryOutcome, EntryStep, GraphQLRequestEntry, RequestInfo } from './types';

/**
 * Runs pipeline steps in order (persisted queries, limits, …): each gets the entry the previous one
 * returned; the first {@link EntryOutcome} ends the run. Shared by the HTTP path ({@link runEntry}) and the
 * WebSocket front door, so both resolve and refuse operations the same way.
 *
 * @returns the final entry, or the outcome that ended it.
 * @throws whatever a step throws (the caller turns it into `INTERNAL_SERVER_ERROR`).
 */
export async function runSteps(steps: readonly EntryStep[], entry: GraphQLRequestEntry, info: RequestInfo): Promise<GraphQLRequestEntry | EntryOutcome> {
  let current = entry;
  for (const step of steps) {
    const next = await step(current, info);
    if (isOutcome(next)) return next;
    current = next;
  }
  return current;
}
